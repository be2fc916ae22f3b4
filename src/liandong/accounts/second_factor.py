"""The second factor of sign-in: time-based one-time passwords (TOTP, RFC 6238, 6 digits, 30 s),
which any authenticator app produces offline.

Required for the three administrators and the office's roles, optional for everyone else (a unit
officer may enrol on the account page). A code is accepted once (its time step is remembered), one
step of clock drift either way is allowed, and a wrong code counts as a failed sign-in for the
lock-out. The secret is stored encrypted (common/secretbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction

from liandong import clock
from liandong.accounts.models import OFFICE_ROLES, Role, User
from liandong.common import secretbox
from liandong.common.errors import InvalidInput

ISSUER = "联动平台"
REQUIRED_ROLES = OFFICE_ROLES | {Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}
STEP = 30


def is_required(user: User) -> bool:
    return settings.LIANDONG_REQUIRE_SECOND_FACTOR and user.role in REQUIRED_ROLES


def is_enrolled(user: User) -> bool:
    return bool(user.totp_secret) and user.totp_confirmed_at is not None


def needs_second_factor(user: User) -> bool:
    """After the password: ask for a code (enrolled) or enrol first (required, not enrolled)."""
    return is_enrolled(user) or is_required(user)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def matching_step(secret: str, code: str, at: datetime, after_step: int) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if later than
    `after_step`; None when it matches none. Pure."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // STEP
    for step in (now_step, now_step - 1, now_step + 1):
        if step > after_step and totp.at(step * STEP) == code:
            return step
    return None


def _bad_code() -> InvalidInput:
    return InvalidInput.one(
        "code", "invalid", "动态口令不正确或已使用，请输入验证器上当前显示的6位数字"
    )


@transaction.atomic
def do_confirm_enrolment(*, user: User, secret: str, code: str) -> User:
    """Bind `secret` to the account once the person shows a code made from it."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    step = matching_step(secret, code, clock.now(), 0)
    if step is None:
        raise _bad_code()
    locked.totp_secret = secretbox.encrypt(secret)
    locked.totp_confirmed_at = clock.now()
    locked.totp_last_step = step
    locked.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    _record("enrolled", locked)
    return locked


@transaction.atomic
def do_check_code(*, user: User, code: str) -> User:
    """Accept a code of the enrolled account (once); InvalidInput when wrong or replayed."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    secret = secretbox.decrypt(locked.totp_secret) if locked.totp_secret else None
    step = matching_step(secret, code, clock.now(), locked.totp_last_step) if secret else None
    if step is None:
        raise _bad_code()
    locked.totp_last_step = step
    locked.save(update_fields=["totp_last_step"])
    return locked


@transaction.atomic
def do_reset_second_factor(*, actor: User, user: User) -> User:
    """The security administrator clears a lost authenticator; the person enrols anew."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.totp_secret = ""
    locked.totp_confirmed_at = None
    locked.save(update_fields=["totp_secret", "totp_confirmed_at"])
    _record("reset", locked, actor=actor)
    return locked


def _record(what: str, user: User, actor: Any = None) -> None:
    from liandong.audit.kinds import AuditKind
    from liandong.audit.services import do_record

    kind = AuditKind.SECOND_FACTOR_ENROLLED if what == "enrolled" else AuditKind.SECOND_FACTOR_RESET
    do_record(
        kind=kind,
        summary=f"{'绑定' if what == 'enrolled' else '重置'}动态口令：{user.get_username()}",
        actor=actor or user,
        target=f"user:{user.pk}",
    )

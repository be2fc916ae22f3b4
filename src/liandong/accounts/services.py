"""Writes about people and tokens. Each one appends its audit entry with before and after (a
password is recorded as changed, never its hash)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from liandong import clock
from liandong.accounts.models import ApiToken, LoginAttempt, User, hash_token
from liandong.audit.kinds import AuditKind
from liandong.audit.services import do_record
from liandong.common.errors import InvalidInput

#: How long a token lives unless said otherwise (a program's key is renewed at least quarterly).
TOKEN_DAYS = 90
#: What the trail keeps of a person (never the password hash or the second factor's secret).
RECORDED_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "unit_id",
    "phone",
    "role",
    "is_active",
)


def _snapshot(person: User) -> dict[str, Any]:
    return {name: getattr(person, name) for name in RECORDED_FIELDS}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


@transaction.atomic
def do_create_person(*, actor: User, fields: dict[str, Any]) -> User:
    """Register a person: inactive, without a usable password, until the security administrator
    gives them a role and a password."""
    person = User(
        username=fields["username"],
        first_name=fields.get("first_name") or "",
        unit=fields.get("unit"),
        phone=fields.get("phone") or "",
        role=fields.get("role") or User._meta.get_field("role").default,
        is_active=False,
    )
    person.set_unusable_password()
    person.save()
    do_record(
        kind=AuditKind.RECORD_ADDED,
        summary=f"新增人员：{person.username}",
        actor=actor,
        target=f"user:{person.pk}",
        data={"before": {}, "after": _snapshot(person)},
    )
    return person


@transaction.atomic
def do_update_person(*, actor: User, person: User, changes: dict[str, Any]) -> User:
    """Change a person's fields (the admin's form has already limited them to the actor's duty)."""
    locked = User.objects.select_for_update().get(pk=person.pk)
    before = _snapshot(locked)
    for name, value in changes.items():
        if name == "password":
            continue
        setattr(locked, name, value)
    try:
        locked.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from exc
    locked.save()
    old, new = _diff(before, _snapshot(locked))
    if old or new:
        kind = AuditKind.ROLE_CHANGED if "role" in new else AuditKind.RECORD_CHANGED
        do_record(
            kind=kind,
            summary=f"修改人员：{locked.username}（{'、'.join(new)}）"[:300],
            actor=actor,
            target=f"user:{locked.pk}",
            data={"before": old, "after": new},
        )
    return locked


@transaction.atomic
def do_set_password(*, actor: User | None, person: User, raw: str) -> User:
    locked = User.objects.select_for_update().get(pk=person.pk)
    locked.set_password(raw)
    locked.save(update_fields=["password"])
    do_record(
        kind=AuditKind.PASSWORD_SET,
        summary=f"设置密码：{locked.username}",
        actor=actor,
        target=f"user:{locked.pk}",
    )
    return locked


@transaction.atomic
def do_unlock_login(*, actor: User, person: User) -> None:
    """End a lock-out now: a marker the lock-out rule reads as a fresh start."""
    LoginAttempt.objects.create(
        username=person.username, ip=None, succeeded=True, at=clock.now(), where="unlock"
    )
    do_record(
        kind=AuditKind.ACCOUNT_UNLOCKED,
        summary=f"解除登录锁定：{person.username}",
        actor=actor,
        target=f"user:{person.pk}",
    )


@transaction.atomic
def do_issue_api_token(*, user: User, name: str, days: int = TOKEN_DAYS) -> tuple[ApiToken, str]:
    """Create a token valid for `days`; the raw key is returned once and never stored."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:8],
        key_hash=hash_token(raw),
        expires_at=clock.now() + timedelta(days=days),
    )
    do_record(
        kind=AuditKind.TOKEN_ISSUED,
        summary=f"签发API令牌：{name}（{token.prefix}…，{days}天）"[:300],
        actor=user,
        target=f"token:{token.pk}",
        data={
            "after": {
                "user_id": user.pk,
                "name": name,
                "prefix": token.prefix,
                "expires_at": token.expires_at,
            }
        },
    )
    return token, raw


@transaction.atomic
def do_revoke_api_token(*, token: ApiToken, actor: User | None = None) -> ApiToken:
    """Revoke a token for good (a revoked token is never valid again; issue a new one)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
        do_record(
            kind=AuditKind.TOKEN_REVOKED,
            summary=f"吊销API令牌：{locked.name}（{locked.prefix}…）"[:300],
            actor=actor,
            target=f"token:{locked.pk}",
            data={"before": {"revoked_at": None}, "after": {"revoked_at": locked.revoked_at}},
        )
    return locked


@transaction.atomic
def do_create_administrator(*, username: str, name: str, role: str, raw_password: str) -> User:
    """An installation's administrators (三员) are created from the command line, one per duty,
    never as Django superusers (the flag grants nothing here)."""
    from django.contrib.auth.password_validation import validate_password

    from liandong.accounts.duties import ADMIN_ROLES

    if role not in ADMIN_ROLES:
        raise InvalidInput.one("role", "invalid", "角色只能是系统管理员、安全管理员或安全审计员")
    if User.objects.filter(username=username).exists():
        raise InvalidInput.one("username", "taken", f"用户名{username}已存在")
    person = User(username=username, first_name=name, role=role, is_staff=True, is_active=True)
    try:
        validate_password(raw_password, person)
    except ValidationError as exc:
        raise InvalidInput.one("password", "weak", "；".join(exc.messages)) from exc
    person.set_password(raw_password)
    person.save()
    do_record(
        kind=AuditKind.RECORD_ADDED,
        summary=f"命令行创建管理员：{username}（{person.get_role_display()}）",
        target=f"user:{person.pk}",
        data={"before": {}, "after": _snapshot(person)},
    )
    return person

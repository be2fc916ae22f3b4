"""Signing in: every attempt recorded, too many failures lock the name out for a while, and the
login forms (the product's and the admin's) refuse a locked name before checking its password.

Rule (pure, `lockout_until`): MAX_FAILURES failed attempts for one username within WINDOW, with no
success after them, lock that username until WINDOW after the last failure. Counting by name, not
by address, so that a guesser cannot walk around it from another machine; the address is kept for
the audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.http import HttpRequest

from liandong import clock
from liandong.accounts.models import LoginAttempt
from liandong.audit.kinds import AUDIT_KIND_LABELS, AuditKind
from liandong.audit.services import do_record

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def lockout_until(attempts: Sequence[tuple[datetime, bool]], now: datetime) -> datetime | None:
    """When a name may try again, given its recent attempts (moment, succeeded), newest first;
    None if it may now."""
    failures: list[datetime] = []
    for moment, succeeded in attempts:
        if succeeded or now - moment > WINDOW:
            break
        failures.append(moment)
    if len(failures) < MAX_FAILURES:
        return None
    until = failures[0] + WINDOW
    return until if until > now else None


def locked_until(username: str, now: datetime | None = None) -> datetime | None:
    now = now or clock.now()
    recent = (
        LoginAttempt.objects.filter(username=username, at__gte=now - WINDOW)
        .order_by("-at", "-id")
        .values_list("at", "succeeded")[: MAX_FAILURES + 1]
    )
    return lockout_until(list(recent), now)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def do_record_login_attempt(
    *,
    username: str,
    request: HttpRequest | None,
    succeeded: bool,
    where: str = "web",
    locked: bool = False,
    user: Any = None,
) -> LoginAttempt:
    """Record a sign-in attempt for the lock-out, and in the audit trail."""
    attempt = LoginAttempt.objects.create(
        username=(username or "")[:150],
        ip=client_ip(request),
        succeeded=succeeded,
        at=clock.now(),
        where=where,
    )
    kind = (
        AuditKind.LOGIN
        if succeeded
        else AuditKind.LOGIN_LOCKED
        if locked
        else AuditKind.LOGIN_FAILED
    )
    do_record(
        kind=kind,
        summary=f"{AUDIT_KIND_LABELS[kind]}：{attempt.username}（{_WHERE_LABELS.get(where, where)}）",
        actor=user,
        actor_label=attempt.username,
        target=f"user:{user.pk}" if user is not None else "",
        ip=attempt.ip,
        data={"username": attempt.username, "where": where},
    )
    return attempt


_WHERE_LABELS = {"web": "业务系统", "admin": "管理后台", "api": "接口"}


def _where(request: HttpRequest | None) -> str:
    path = getattr(request, "path", "") or ""
    return "admin" if path.startswith("/admin/") else "api" if path.startswith("/api/") else "web"


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    do_record_login_attempt(
        username=user.get_username(),
        request=request,
        succeeded=True,
        where=_where(request),
        user=user,
    )


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        do_record(
            kind=AuditKind.LOGOUT,
            summary=f"退出登录：{user.get_username()}",
            actor=user,
            target=f"user:{user.pk}",
            ip=client_ip(request),
        )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    do_record_login_attempt(
        username=str(credentials.get("username", "")),
        request=request,
        succeeded=False,
        where=_where(request),
    )


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="liandong-login")
    user_login_failed.connect(on_login_failed, dispatch_uid="liandong-login-failed")
    user_logged_out.connect(on_logout, dispatch_uid="liandong-logout")


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form that refuses a locked-out name before looking at the password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码错误，请重试。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        until = locked_until(username) if username else None
        if until is not None:
            do_record_login_attempt(
                username=username,
                request=self.request,
                succeeded=False,
                where=_where(self.request),
                locked=True,
            )
            raise forms.ValidationError(
                f"该账号登录失败次数过多，已暂时锁定，请于{clock.to_beijing(until):%H:%M}后再试；"
                "如忘记密码请联系安全管理员。",
                code="locked_out",
            )
        return super().clean()

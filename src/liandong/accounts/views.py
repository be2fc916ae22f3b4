"""Signing in: the password (with the lock-out), then the second factor where the account has one
or its role requires one (enrolling first if it has none yet). The session is only created after
both; until then the session holds nothing but who is half-way, for five minutes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from liandong import clock
from liandong.accounts import second_factor
from liandong.accounts.login import (
    ThrottledAuthenticationForm,
    do_record_login_attempt,
    locked_until,
)
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput

PENDING = "liandong_pending_login"
ENROL_SECRET = "liandong_pending_totp_secret"
PENDING_SECONDS = 300


class SignInView(LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not second_factor.needs_second_factor(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "uid": user.pk,
            "at": clock.now().timestamp(),
            "next": self.get_redirect_url() or "",
            "backend": user.backend,
        }
        return HttpResponseRedirect("/login/code")


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if clock.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(pending.get("uid") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


def _finish(request: HttpRequest, user: User, pending: dict[str, Any]) -> HttpResponse:
    request.session.pop(PENDING, None)
    request.session.pop(ENROL_SECRET, None)
    login(request, user, backend=pending["backend"])
    target = pending.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


def _enrolment_secret(request: HttpRequest) -> str:
    """The secret being enrolled: kept in the session until a code made from it is shown."""
    secret = request.session.get(ENROL_SECRET)
    if not secret:
        secret = request.session[ENROL_SECRET] = second_factor.new_secret()
    return str(secret)


def _enrolment_shown(user: User, secret: str | None) -> dict[str, str]:
    """How the secret is shown to be typed into an authenticator (groups of four) or imported."""
    if not secret:
        return {"secret": "", "uri": ""}
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": grouped, "uri": second_factor.provisioning_uri(user, secret)}


def second_factor_page(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        return HttpResponseRedirect("/login/")
    user, pending = found
    enrolling = not second_factor.is_enrolled(user)
    secret = _enrolment_secret(request) if enrolling else None
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if locked_until(user.get_username()) is not None:
            request.session.pop(PENDING, None)
            return HttpResponseRedirect("/login/")
        try:
            if enrolling:
                assert secret is not None
                second_factor.do_confirm_enrolment(user=user, secret=secret, code=code)
            else:
                second_factor.do_check_code(user=user, code=code)
        except InvalidInput as exc:
            error = exc.fields[0].message
            do_record_login_attempt(
                username=user.get_username(), request=request, succeeded=False, where="web"
            )
        else:
            return _finish(request, user, pending)
    context = {
        "enrolling": enrolling,
        **_enrolment_shown(user, secret),
        "error": error,
        "person": user,
    }
    return render(request, "web/login_second_factor.html", context, status=422 if error else 200)


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """Anyone signed in may bind an authenticator to their account (the office and the
    administrators must; a unit's people may). Once bound, every sign-in asks for a code; only the
    security administrator can reset it."""
    user = User.objects.get(pk=int(request.user.pk or 0))
    enrolled = second_factor.is_enrolled(user)
    secret = None if enrolled else _enrolment_secret(request)
    error = ""
    if request.method == "POST" and not enrolled:
        assert secret is not None
        try:
            second_factor.do_confirm_enrolment(
                user=user, secret=secret, code=request.POST.get("code", "")
            )
        except InvalidInput as exc:
            error = exc.fields[0].message
        else:
            request.session.pop(ENROL_SECRET, None)
            messages.success(request, "动态口令已绑定，今后登录时需输入验证器上的6位数字。")
            return HttpResponseRedirect("/account/security")
    context = {
        "enrolled": enrolled,
        "required": second_factor.is_required(user),
        "confirmed_at": user.totp_confirmed_at,
        **_enrolment_shown(user, secret),
        "error": error,
    }
    return render(request, "web/account_security.html", context, status=422 if error else 200)

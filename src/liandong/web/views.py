"""Entry points: the start page sends each person to their screen."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from liandong.incidents import access
from liandong.web import readiness
from liandong.web.common import user_of

log = logging.getLogger("liandong.readyz")


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    user = user_of(request)
    if access.is_unit_user(user):
        return redirect("unit-workbench")
    if access.lands_on_overview(user):
        return redirect("overview")
    if access.lands_on_console(user):
        return redirect("console")
    return render(request, "web/home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The load balancer's readiness probe: 200 when every check passes, else 503 naming the
    checks that failed and why (web/readiness.py)."""
    reasons = readiness.run_checks()
    failed = [name for name, reason in reasons.items() if reason is not None]
    checks: dict[str, dict[str, object]] = {
        name: {"ok": True} if reason is None else {"ok": False, "message": reason}
        for name, reason in reasons.items()
    }
    body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
    response = JsonResponse(
        body, status=503 if failed else 200, json_dumps_params={"ensure_ascii": False}
    )
    if failed:
        # A warning naming the failed checks, instead of django.request logging each 503 as an error.
        log.warning("not ready: %s", ", ".join(failed))
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def help_page(request: HttpRequest) -> HttpResponse:
    """The rules of the clocks, for everyone (also before logging in)."""
    return render(request, "web/help/index.html")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico; it lives with the other static files."""
    return redirect(static("web/favicon.ico"), permanent=True)

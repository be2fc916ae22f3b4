"""Entry points: the start page sends each person to their screen."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from liandong.incidents import access
from liandong.web.common import user_of


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


def help_page(request: HttpRequest) -> HttpResponse:
    """The rules of the clocks, for everyone (also before logging in)."""
    return render(request, "web/help/index.html")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico; it lives with the other static files."""
    return redirect(static("web/favicon.ico"), permanent=True)

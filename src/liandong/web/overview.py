"""The leadership overview (区领导, 督办员 land here) and its large-screen mode for the office wall."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liandong.web.console import office_page, page


@office_page
def overview_page(request: HttpRequest) -> HttpResponse:
    if request.GET.get("screen"):
        return render(request, "web/overview/screen.html")
    return page(request, "web/overview/index.html", "overview")

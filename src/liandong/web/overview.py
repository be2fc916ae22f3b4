"""The leadership overview (区领导, 督办员 land here) and its large-screen mode for the office wall."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liandong.geography.selectors import district_map
from liandong.web.console import office_page, page


@office_page
def overview_page(request: HttpRequest) -> HttpResponse:
    """The figures come from /api/v1/stats/overview (refreshed by the page); the street
    boundaries, when imported, are drawn as a map once, from the page itself."""
    context = {"district_map": district_map()}
    if request.GET.get("screen"):
        return render(request, "web/overview/screen.html", context)
    return page(request, "web/overview/index.html", "overview", **context)

"""Content-Security-Policy on every response (settings.LIANDONG_CSP): the browser runs only the
installation's own script files, never inline scripts, event-handler attributes or javascript:
URLs, loads nothing from elsewhere, and no other site may frame a page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "LIANDONG_CSP", "")
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response

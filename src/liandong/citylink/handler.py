"""The city interface's own, lean request handler (served for /api/city/ by liandong.wsgi).

The city's requests are machine to machine: no session, no signed-in user, no form (CSRF), no
flash messages, no admin history, no static files, no language choice. They skip those middleware
and keep what matters for them, in the main stack's order (settings.MIDDLEWARE):

- request metrics (web/metrics.py), first, so the time includes everything below;
- security headers and the HTTPS redirect (SecurityMiddleware), the host check (CommonMiddleware),
  the Content-Security-Policy and X-Frame-Options headers;
- the audit context: the request id (X-Request-Id, in the JSON logs and the audit entries) and
  the address; the city's signature becomes the entries' authentication (citylink/api.py);
- the API's one error body for what Django itself answers (404, 405, 500).

Everything else (URLs, views, the contract's errors) is the product's own: the same urlconf."""

from __future__ import annotations

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

PREFIX = "/api/city/"

MIDDLEWARE = (
    "liandong.web.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "liandong.audit.middleware.AuditContextMiddleware",
    "liandong.web.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "liandong.api.middleware.ApiErrorBodyMiddleware",
)


class LeanMiddleware:
    """A handler mixin: the chain is built from MIDDLEWARE above instead of settings.MIDDLEWARE
    (as Django's BaseHandler.load_middleware does it, for synchronous middleware)."""

    _view_middleware: list
    _template_response_middleware: list
    _exception_middleware: list

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


class CityLinkHandler(LeanMiddleware, WSGIHandler):
    """The WSGI handler of /api/city/."""

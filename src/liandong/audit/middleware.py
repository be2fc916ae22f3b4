"""Every request runs in its audit context (address, request id, how the user authenticated), and
every refusal (403) is written to the trail with who, from where and what they asked for."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from liandong.audit import context
from liandong.audit.kinds import AuditKind
from liandong.audit.services import do_record


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.begin_request(request)
        try:
            response = self.get_response(request)
            if response.status_code == 403:
                record_denial(request, response)
            response.headers.setdefault("X-Request-Id", getattr(request, "request_id", ""))
            return response
        finally:
            context.end_request(token)


def record_denial(request: HttpRequest, response: HttpResponse) -> None:
    user = getattr(request, "user", None)
    who = user if user is not None and user.is_authenticated else None
    do_record(
        kind=AuditKind.PERMISSION_DENIED,
        summary=f"拒绝访问：{request.method} {request.path}"[:300],
        actor=who,
        actor_label="" if who else "未登录",
        target=request.path[:120],
        data={"method": request.method, "path": request.path[:500], "status": 403},
    )

"""Every 4xx/5xx under /api/ carries the one error body, also when Django itself answers (an unknown
path, a wrong method, an unexpected exception)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from liandong.common.errors import ErrorBody

log = logging.getLogger("liandong.api")

_MESSAGES = {
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    500: ("server_error", "服务器内部错误"),
}


def _body(status: int) -> JsonResponse:
    code, message = _MESSAGES.get(status, ("error", "请求失败"))
    return JsonResponse(
        ErrorBody(code, message).as_dict(), status=status, json_dumps_params={"ensure_ascii": False}
    )


class ApiErrorBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replaced = _body(response.status_code)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404):
            return _body(404)  # e.g. ninja at the bare API root
        if isinstance(exception, PermissionDenied):
            return _body(403)
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _body(500)

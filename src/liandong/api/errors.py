"""One error body for every 4xx/5xx of the API:
{"error": {"code", "message", "fields": [{"field", "code", "message"}]}}"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from liandong.api.parser import NotAnObject
from liandong.common.errors import DomainError, ErrorBody, FieldError
from liandong.incidents import upload_handler

_PYDANTIC_CODES = {
    "missing": ("required", "必填"),
    "int_parsing": ("invalid_type", "应为整数"),
    "int_type": ("invalid_type", "应为整数"),
    "bool_parsing": ("invalid_type", "应为布尔值"),
    "bool_type": ("invalid_type", "应为布尔值"),
    "string_type": ("invalid_type", "应为字符串"),
    "datetime_parsing": ("invalid_datetime", "应为带时区的时间，如 2026-11-30T09:15:00+08:00"),
    "datetime_from_date_parsing": ("invalid_datetime", "应为带时区的时间"),
    "datetime_type": ("invalid_datetime", "应为带时区的时间"),
    "timezone_aware": ("naive_datetime", "时间必须带时区"),
    "list_type": ("invalid_type", "应为列表"),
    "string_too_long": ("too_long", "过长"),
    "string_too_short": ("required", "不能为空"),
    "literal_error": ("invalid_choice", "取值无效"),
    "enum": ("invalid_choice", "取值无效"),
    "greater_than_equal": ("out_of_range", "超出范围"),
    "less_than_equal": ("out_of_range", "超出范围"),
    "json_invalid": ("malformed_json", "JSON格式错误"),
    "model_attributes_type": ("invalid_type", "应为对象"),
    "dict_type": ("invalid_type", "应为对象"),
}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes locations with ("body", "<param name>") or ("query",) etc.
    if parts and parts[0] in ("body", "query", "path", "form", "file"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> list[FieldError]:
    fields = []
    for err in errors:
        code, label = _PYDANTIC_CODES.get(err.get("type", ""), ("invalid", "无效"))
        path = _field_path(err.get("loc", ()))
        message = f"{path}：{label}"
        if code == "invalid":
            message = f"{path}：{err.get('msg', '无效')}"
        fields.append(FieldError(path, code, message))
    return fields


def _respond(api: NinjaAPI, request: HttpRequest, status: int, body: ErrorBody) -> HttpResponse:
    return api.create_response(request, body.as_dict(), status=status)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        fields = getattr(exc, "fields", [])
        return _respond(api, request, exc.status, ErrorBody(exc.code, exc.message, fields))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # A file missing because the upload handler refused it unread: say why (too large).
        refused = upload_handler.refusal(request)
        if refused is not None:
            return domain_error(request, refused)
        fields = validation_fields(list(exc.errors))
        if any(f.code == "malformed_json" for f in fields):
            return _respond(api, request, 400, ErrorBody("malformed_json", "请求体不是有效的JSON"))
        return _respond(api, request, 422, ErrorBody("invalid", "提交的内容不符合要求", fields))

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _respond(
            api, request, 401, ErrorBody("unauthenticated", "请先登录或提供有效的API令牌")
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, ErrorBody("not_found", "资源不存在"))

    @api.exception_handler(MultiPartParserError)
    def malformed_upload(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return _respond(
            api,
            request,
            400,
            ErrorBody(
                "malformed_upload", "上传的内容格式不正确（multipart 报文缺少或弄错了分隔符）"
            ),
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps what the body parser raised (parser.py) in a 400 "Cannot parse request body"
        if isinstance(exc.__cause__, NotAnObject):
            field = FieldError("body", "invalid_type", "body：请求体应为JSON对象（{...}）")
            return _respond(api, request, 422, ErrorBody("invalid", "请求体应为JSON对象", [field]))
        if isinstance(exc.__cause__, ValueError):  # JSONDecodeError, UnicodeDecodeError
            return _respond(api, request, 400, ErrorBody("malformed_json", "请求体不是有效的JSON"))
        return _respond(api, request, exc.status_code, ErrorBody("http_error", str(exc)))

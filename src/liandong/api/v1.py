"""The JSON API for people and programs (/api/v1/). Handlers are thin: resolve the user's access
through the gate, translate codes to rows, call one action, answer with a selector's view of the
result. The routes live in one module per subject; this module assembles them."""

from __future__ import annotations

from http.client import responses
from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from liandong.api import (
    decisions,
    errors,
    incidents,
    instructions,
    reference,
    stats,
    supervision,
    triage,
)
from liandong.api.auth import AUTH
from liandong.api.parser import ObjectBodyParser
from liandong.common.renderers import ChineseJSONRenderer

#: What any operation may answer besides its success: not signed in, not allowed, not found (or not
#: visible to this user), invalid input. Operations declaring no errors of their own (the lists
#: and reference reads) document these too.
DOCUMENTED_ERRORS = (401, 403, 404, 422)


class LiandongAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"$ref": "#/components/schemas/ErrorOut"}
        for item in schema["paths"].values():
            for operation in item.values():
                documented = operation.setdefault("responses", {})
                for status in DOCUMENTED_ERRORS:
                    documented.setdefault(
                        status,
                        {
                            "description": responses[status],
                            "content": {"application/json": {"schema": error}},
                        },
                    )
                operation["responses"] = dict(sorted(documented.items(), key=lambda s: int(s[0])))
        return schema


api = LiandongAPI(
    renderer=ChineseJSONRenderer(),
    parser=ObjectBodyParser(),
    title="联动 — 于洪区110非警务警情联动处置平台 API",
    version="1",
    urls_namespace="api-v1",
    auth=AUTH,
    description=(
        "区安管平台的业务接口。人员使用浏览器会话（需CSRF令牌），程序使用 `Authorization: Bearer <令牌>`。"
        "所有时间均为带时区的 RFC 3339 字符串（北京时间 +08:00）。"
        '错误统一为 `{"error": {"code", "message", "fields": [...]}}`：422 表示字段有误，'
        "409 表示当前状态不允许该操作，403 表示无权操作，404 表示不存在或无权查看。"
        "每个警情、指令和申请都带有 `actions`：当前用户此刻可以执行的操作，以及不能执行的原因。"
    ),
)
errors.install(api)

api.add_router("", reference.me)
api.add_router("", reference.reference)
api.add_router("/incidents", incidents.incidents)
api.add_router("/instructions", instructions.instructions)
api.add_router("", decisions.decisions)
api.add_router("/city-reports", decisions.city_reports)
api.add_router("/supervision-orders", supervision.supervision)
api.add_router("/stats", stats.stats)
api.add_router("", triage.triage)

"""What a refused form keeps: the typed values and each error next to its field.

A screen's form posts to an action view that redirects back (post/redirect/get). When the action
refuses (InvalidInput, DomainError), `remember` keeps the form's values and the errors by field
in the session for the next page only; the page's template reads them with the tags
`{% typed "form" "field" %}`, `{% chosen "form" "field" "value" %}` and
`{% field_error "form" "field" %}` (templatetags/liandong.py). A form names itself with a hidden
`_form` input. Files cannot be kept by a browser: the error says to choose them again."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from liandong.common.errors import FieldError

SESSION_KEY = "liandong_form"
SKIPPED = {"csrfmiddlewaretoken", "_form", "next"}

#: How a field is named in a message that cannot sit next to its field.
FIELD_LABELS = {
    "content": "警情内容",
    "address": "事发地址",
    "caller_phone": "联系电话",
    "caller_name": "报警人",
    "text": "内容",
    "outcome": "处置结果",
    "reason": "原因",
    "progress": "进展情况",
    "proposed_due_at": "申请延至",
    "note": "说明",
    "satisfaction": "回访结果",
    "category": "事项类别",
    "level": "指令级别",
    "incident_class": "处置类别",
    "primary_unit": "主责单位",
    "cooperating_units": "协同单位",
    "units": "单位",
    "unit": "单位",
    "photos": "现场照片",
    "document": "扫描件",
}


def remember(request: HttpRequest, *, errors: list[FieldError], message: str) -> None:
    """Keep what the refused form held (if it names itself) for the page it returns to."""
    form = request.POST.get("_form", "")
    if not form:
        return
    values = {name: request.POST.getlist(name) for name in request.POST if name not in SKIPPED}
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error.message)
    if request.FILES:
        by_field.setdefault(next(iter(request.FILES)), []).append("请重新选择要上传的文件")
    request.session[SESSION_KEY] = {
        "form": form,
        "values": values,
        "errors": by_field,
        "message": message,
    }


def label(field: str) -> str:
    return FIELD_LABELS.get(field, "")


def form_state(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the refused form's state, once (it is gone on the next page)."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return {"form_state": None}
    return {"form_state": session.pop(SESSION_KEY)}

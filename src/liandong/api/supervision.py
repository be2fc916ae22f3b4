"""Supervision orders (督办): the supervisor issues, the unit's leader answers in writing, the
supervisor accepts or sends back."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from liandong.api import schemas
from liandong.api.common import ERRORS, attachment_response, user_of
from liandong.common.errors import Forbidden, InvalidInput, NotFound
from liandong.incidents import access, upload_handler
from liandong.supervision import actions, selectors
from liandong.units.selectors import unit_by_code

supervision = Router(tags=["督办"])


@supervision.get("", summary="督办列表（单位只看到本单位的）")
def list_orders(
    request: HttpRequest,
    state: str | None = None,
    limit: int = 50,
    offset: schemas.Offset = 0,
) -> dict[str, Any]:
    count, items = selectors.listing(
        user_of(request), state=state, limit=max(1, min(limit, 200)), offset=max(0, offset)
    )
    return {"count": count, "items": items}


@supervision.post("", response={201: dict, **ERRORS}, summary="下发督办（督办员）")
def issue(request: HttpRequest, payload: schemas.SupervisionIn) -> Status:
    user = user_of(request)
    if not selectors.may_issue(user):
        raise Forbidden(access.SUPERVISOR_ONLY)
    unit = unit_by_code("unit", payload.unit)
    chosen = list(
        access.visible_instructions(user).filter(pk__in=payload.instructions).select_related("unit")
    )
    if len(chosen) != len(set(payload.instructions)):
        raise InvalidInput.one("instructions", "unknown", "指令不存在")
    order = actions.do_issue_supervision_order(
        actor=user,
        unit=unit,
        instructions=chosen,
        problems=payload.problems,
        measures=payload.measures,
        answer_due_at=payload.answer_due_at,
        contact=payload.contact,
        title=payload.title,
    )
    return Status(201, selectors.order_dict(user, order))


@supervision.get("/{order_id}", response={200: dict, **ERRORS}, summary="督办详情")
def get_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    user = user_of(request)
    return selectors.order_dict(user, selectors.access_order(user, order_id))


@supervision.post(
    "/{order_id}/answer", response={200: dict, **ERRORS}, summary="书面回复（承办单位主管领导）"
)
def answer(
    request: HttpRequest,
    order_id: int,
    text: str = Form(...),  # noqa: B008 - django-ninja's way to declare form fields
    document: UploadedFile | None = File(None),  # noqa: B008
) -> dict[str, Any]:
    user = user_of(request)
    order = selectors.access_order(user, order_id)
    seat = access.unit_leader_seat(user, order.unit_id)
    if seat is not None:
        raise Forbidden(seat)
    upload_handler.enforce(request)  # refused before it was read (too large)
    scan = None
    if document is not None:
        scan = (
            document.name or "书面回复",
            document.content_type or "",
            document.read(settings.LIANDONG_MAX_ATTACHMENT_BYTES + 1),
        )
    done = actions.do_answer_supervision_order(actor=user, order=order, text=text, document=scan)
    return selectors.order_dict(user, done)


def _supervised(request: HttpRequest, order_id: int) -> Any:
    user = user_of(request)
    order = selectors.access_order(user, order_id)
    seat = access.supervisor_seat(user)
    if seat is not None:
        raise Forbidden(seat)
    return user, order


@supervision.post("/{order_id}/accept", response={200: dict, **ERRORS}, summary="认可回复并办结")
def accept(request: HttpRequest, order_id: int, payload: schemas.NoteIn) -> dict[str, Any]:
    user, order = _supervised(request, order_id)
    done = actions.do_accept_supervision_answer(actor=user, order=order, note=payload.note)
    return selectors.order_dict(user, done)


@supervision.post("/{order_id}/send-back", response={200: dict, **ERRORS}, summary="退回重新回复")
def send_back(
    request: HttpRequest, order_id: int, payload: schemas.SupervisionSendBackIn
) -> dict[str, Any]:
    user, order = _supervised(request, order_id)
    done = actions.do_send_back_supervision_answer(
        actor=user, order=order, note=payload.note, answer_due_at=payload.answer_due_at
    )
    return selectors.order_dict(user, done)


@supervision.get(
    "/{order_id}/answer-document", summary="书面回复扫描件", response={200: None, **ERRORS}
)
def answer_document(request: HttpRequest, order_id: int) -> FileResponse:
    order = selectors.access_order(user_of(request), order_id)
    if order.answer_document is None:
        raise NotFound("没有书面回复扫描件", code="unknown_attachment")
    return attachment_response(order.answer_document)

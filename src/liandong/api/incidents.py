"""Incidents: list, manual entry, detail, timeline, triage proposal and the office's actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from liandong.api import schemas
from liandong.api.common import (
    ERRORS,
    category_by_code,
    dispatched_out,
    incident_out,
    user_of,
)
from liandong.common.errors import InvalidInput
from liandong.incidents import access, actions, selectors
from liandong.incidents.repeat_selectors import repeat_candidates
from liandong.units.selectors import unit_by_code, units_by_codes

# --- incidents -------------------------------------------------------------------------------

incidents = Router(tags=["警情"])


@incidents.get("", response=schemas.IncidentPage, summary="警情列表")
def list_incidents(
    request: HttpRequest,
    status: str | None = None,
    limit: int = 50,
    offset: schemas.Offset = 0,
) -> dict[str, Any]:
    count, items = selectors.list_incidents(
        user_of(request), status=status, limit=max(1, min(limit, 200)), offset=max(0, offset)
    )
    return {"count": count, "items": items}


@incidents.post(
    "", response={201: schemas.IncidentOut, **ERRORS}, summary="人工录入警情（区联动办）"
)
def create_incident(request: HttpRequest, payload: schemas.ManualIncidentIn) -> Status:
    user = user_of(request)
    access.require_office(user)
    incident = actions.do_create_manual_incident(actor=user, **payload.dict())
    return Status(201, incident_out(request, incident.incident_id))


@incidents.get("/{incident_id}", response={200: schemas.IncidentOut, **ERRORS}, summary="警情详情")
def get_incident(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident(user, incident_id)
    out = selectors.incident_detail(user, incident)
    if "merge" in out["allowed_actions"]:  # the office, in triage (available.py)
        out["repeat_candidates"] = [c.as_dict() for c in repeat_candidates(incident)]
    return out


@incidents.post(
    "/{incident_id}/caller/reveal",
    response={200: schemas.CallerOut, **ERRORS},
    summary="查看报警人完整姓名和电话（区联动办、主责单位；每次查看均记录）",
)
def reveal_caller(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_caller_reveal(user, incident_id)
    actions.do_record_phone_reveal(actor=user, incident=incident, via="api")
    return {
        "incident_id": incident.incident_id,
        "caller_name": incident.caller_name,
        "caller_phone": incident.caller_phone,
    }


@incidents.get(
    "/{incident_id}/timeline",
    response={200: list[schemas.EventOut], **ERRORS},
    summary="警情时间线",
)
def get_timeline(request: HttpRequest, incident_id: str) -> list[dict[str, Any]]:
    user = user_of(request)
    return selectors.timeline(user, access.access_incident(user, incident_id))


@incidents.get(
    "/{incident_id}/proposal",
    response={200: schemas.ProposalOut, **ERRORS},
    summary="按职责清单提出派发建议",
)
def get_proposal(request: HttpRequest, incident_id: str, category: str) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident(user, incident_id)
    access.require_reads_everything(user, "派发建议只供区联动办研判使用")
    return selectors.triage_proposal(incident, category_by_code(category))


@incidents.post(
    "/{incident_id}/dispatch", response={200: schemas.IncidentOut, **ERRORS}, summary="研判并派发"
)
def dispatch(request: HttpRequest, incident_id: str, payload: schemas.DispatchIn) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    instructions = actions.do_dispatch_incident(
        actor=user,
        incident=incident,
        incident_class=payload.incident_class,
        level=payload.level,
        category=category_by_code(payload.category),
        primary_unit=unit_by_code("primary_unit", payload.primary_unit),
        cooperating_units=units_by_codes("cooperating_units", payload.cooperating_units),
        street=unit_by_code("street", payload.street) if payload.street else None,
        note=payload.note,
    )
    return dispatched_out(request, instructions)


@incidents.post(
    "/{incident_id}/return-to-city",
    response={200: schemas.IncidentOut, **ERRORS},
    summary="退回市平台（非本区事项）",
)
def return_to_city(
    request: HttpRequest, incident_id: str, payload: schemas.ReasonIn
) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_return_to_city(actor=user, incident=incident, reason=payload.reason)
    return incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/merge",
    response={200: schemas.IncidentOut, **ERRORS},
    summary="作为重复警情合并",
)
def merge(request: HttpRequest, incident_id: str, payload: schemas.MergeIn) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    target = access.visible_incidents(user).filter(incident_id=payload.into).first()
    if target is None:
        raise InvalidInput.one("into", "unknown_incident", f"警情「{payload.into}」不存在")
    actions.do_merge_incident(actor=user, incident=incident, into=target)
    return incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/units", response={200: schemas.IncidentOut, **ERRORS}, summary="增派协同单位"
)
def add_units(
    request: HttpRequest, incident_id: str, payload: schemas.AddUnitsIn
) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_add_units(
        actor=user,
        incident=incident,
        units=units_by_codes("units", payload.units),
        reason=payload.reason,
    )
    return incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/close", response={200: schemas.IncidentOut, **ERRORS}, summary="办结"
)
def close(request: HttpRequest, incident_id: str, payload: schemas.CloseIn) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_close_incident(actor=user, incident=incident, outcome=payload.outcome)
    return incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/callbacks", response={201: schemas.IncidentOut, **ERRORS}, summary="回访报警人"
)
def call_back(request: HttpRequest, incident_id: str, payload: schemas.CallBackIn) -> Status:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_record_call_back(
        actor=user,
        incident=incident,
        satisfaction=payload.satisfaction,
        note=payload.note,
        reopen=payload.reopen,
    )
    return Status(201, incident_out(request, incident_id))


@incidents.post(
    "/{incident_id}/withdraw",
    response={200: schemas.IncidentOut, **ERRORS},
    summary="市平台撤回：停止全部处置",
)
def withdraw(request: HttpRequest, incident_id: str, payload: schemas.WithdrawIn) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_withdraw_incident(
        actor=user, incident=incident, reason=payload.reason, by_city=False
    )
    return incident_out(request, incident_id)

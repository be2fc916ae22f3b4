"""Triage proposals: for a text that is not yet an incident, and for an incident in the queue.
The office's work: dispatchers and supervisors (leadership and administrators read everything)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from liandong.api.common import ERRORS, user_of
from liandong.common.errors import InvalidInput
from liandong.incidents import access
from liandong.incidents.repeat_selectors import repeat_candidates_for
from liandong.triage.selectors import proposal_dict, propose_for_incident, propose_text

triage = Router(tags=["研判辅助"])
FOR_OFFICE = "研判建议只供区联动办研判使用"
MAX_TEXT = 4000


class ProposeIn(Schema):
    content: str
    address: str = ""
    police_dispatched: bool = False
    urgent: bool = False
    longitude: float | None = None
    latitude: float | None = None
    caller_phone: str = ""


def _repeats(payload: ProposeIn) -> list[dict[str, Any]]:
    return [
        c.as_dict()
        for c in repeat_candidates_for(
            content=payload.content,
            address=payload.address,
            caller_phone=payload.caller_phone,
            received_at=None,
        )
    ]


@triage.post(
    "/triage/propose",
    response={200: dict, **ERRORS},
    summary="研判建议：类别（前三及置信度）、分类、等级、主责与协同单位、属地街道、疑似重复警情，各附理由",
)
def propose(request: HttpRequest, payload: ProposeIn) -> dict[str, Any]:
    access.require_reads_everything(user_of(request), FOR_OFFICE)
    content = payload.content.strip()
    if not content:
        raise InvalidInput.one("content", "required", "警情内容不能为空")
    if len(content) > MAX_TEXT or len(payload.address) > 200:
        raise InvalidInput.one("content", "too_long", f"警情内容不能超过{MAX_TEXT}个字符")
    proposal = propose_text(
        content=content,
        address=payload.address.strip(),
        police=payload.police_dispatched,
        urgent=payload.urgent,
        lon=payload.longitude,
        lat=payload.latitude,
    )
    return {**proposal_dict(proposal), "repeat_candidates": _repeats(payload)}


@triage.get(
    "/incidents/{incident_id}/triage",
    response={200: dict, **ERRORS},
    summary="某警情的研判建议（模型与职责清单），各附理由",
)
def incident_proposal(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    user = user_of(request)
    incident = access.access_incident(user, incident_id)
    access.require_reads_everything(user, FOR_OFFICE)
    return proposal_dict(propose_for_incident(incident))

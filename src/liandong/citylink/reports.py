"""Outbound reports to the city: which step produces which report, with what data.

`report_for_event` runs inside the transaction of the action that appended the event, so the report
row commits (or not) with the step itself."""

from __future__ import annotations

import uuid
from typing import Any

from liandong import clock
from liandong.citylink.models import CityReport
from liandong.incidents.events import EventKind
from liandong.incidents.models import Event, Incident, Instruction, Source

#: event kind → report type (the contract's list)
REPORT_TYPE_OF_EVENT: dict[EventKind, str] = {
    EventKind.RETURNED_TO_CITY: "returned",
    EventKind.DISPATCHED: "dispatched",
    EventKind.UNITS_ADDED: "dispatched",
    EventKind.REASSIGNED: "dispatched",
    EventKind.STOOD_DOWN: "dispatched",
    EventKind.REOPENED: "dispatched",
    EventKind.SIGNED: "signed",
    EventKind.CALLER_CONTACTED: "caller_contacted",
    EventKind.FEEDBACK: "feedback",
    EventKind.EXTENSION_GRANTED: "extended",
    EventKind.RESULT: "result",
    EventKind.CLOSED: "closed",
    EventKind.CALLED_BACK: "closed",
    EventKind.WITHDRAWN: "withdrawn",
}


def _unit(instruction: Instruction | None) -> dict[str, str] | None:
    if instruction is None:
        return None
    return {"code": instruction.unit.code, "name": instruction.unit.name}


def _composition(incident: Incident) -> dict[str, Any]:
    live = (
        incident.instructions.exclude(state__in=["reassigned", "cancelled"])
        .select_related("unit")
        .prefetch_related("deadlines")
        .order_by("id")
    )
    primary = next((i for i in live if i.role == "primary"), None)
    return {
        "class": incident.incident_class or None,
        "level": incident.level,
        "primary": _unit(primary),
        "cooperating": [_unit(i) for i in live if i.role == "cooperating"],
        "deadlines": [
            {
                "unit": i.unit.code,
                **{d.kind: clock.iso(d.due_at) for d in i.deadlines.all()},
                "provisional": any(d.provisional for d in i.deadlines.all()),
            }
            for i in live
        ],
    }


def _text_and_data(event: Event, report_type: str) -> tuple[str, dict[str, Any]]:
    incident = event.incident
    data = event.data or {}
    unit = event.instruction.unit.name if event.instruction else ""
    if report_type == "returned":
        return f"区联动办退回：{incident.return_reason}", {"reason": incident.return_reason}
    if report_type == "dispatched":
        comp = _composition(incident)
        names = "、".join(c["name"] for c in comp["cooperating"])
        primary = comp["primary"]["name"] if comp["primary"] else "无"
        text = f"已派发（{incident.get_incident_class_display()}，{incident.get_level_display()}）：主责单位{primary}"
        return text + (f"，协同单位{names}" if names else ""), comp
    if report_type == "signed":
        late = bool(data.get("late"))
        return f"{unit}已签收" + ("（超时）" if late else ""), {"late": late}
    if report_type == "caller_contacted":
        return f"{unit}已联系报警人", {"minutes_after_signing": data.get("minutes_after_signing")}
    if report_type == "feedback":
        late = bool(data.get("late"))
        label = "现场反馈" if data.get("feedback_kind") == "on_scene" else "初步反馈"
        return f"{unit}{label}：{data.get('text', '')}", {
            "late": late,
            "kind": data.get("feedback_kind"),
            "text": data.get("text", ""),
        }
    if report_type == "extended":
        return event.summary, {"new_due_at": data.get("new_due_at"), "reason": data.get("reason")}
    if report_type == "result":
        late = bool(data.get("late"))
        return f"{unit}反馈处置结果：{data.get('text', '')}", {
            "late": late,
            "outcome": data.get("outcome"),
            "text": data.get("text", ""),
        }
    if report_type == "closed":
        return f"已办结：{incident.outcome}", {
            "outcome": incident.outcome,
            "satisfaction": incident.satisfaction or None,
        }
    return event.summary, {}


def report_for_event(event: Event) -> CityReport | None:
    report_type = REPORT_TYPE_OF_EVENT.get(EventKind(event.kind))
    if report_type is None or event.incident.source != Source.CITY:
        return None
    if event.kind == EventKind.CALLER_CONTACTED and not (event.data or {}).get("reached", True):
        return None
    # The action holds the incident's row lock (locks.py), so sequence numbers cannot race.
    incident = Incident.objects.select_for_update().get(pk=event.incident_id)
    last = (
        CityReport.objects.filter(incident=incident)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    text, data = _text_and_data(event, report_type)
    now = clock.now()
    instruction = event.instruction if report_type not in ("dispatched", "closed") else None
    return CityReport.objects.create(
        incident=incident,
        sequence=(last or 0) + 1,
        report_id=f"{incident.incident_id}-{(last or 0) + 1}-{uuid.uuid4().hex[:12]}",
        type=report_type,
        occurred_at=event.occurred_at,
        unit_code=instruction.unit.code if instruction else "",
        unit_name=instruction.unit.name if instruction else "",
        text=text[:2000],
        data=data,
        next_attempt_at=now,
        created_at=now,
    )


def reports_for_events(events: list[Event]) -> None:
    """The same for a list of events (append_events): only those the contract reports are
    looked at further."""
    for event in events:
        if event.kind in REPORT_TYPE_OF_EVENT:
            report_for_event(event)


def report_body(report: CityReport) -> dict[str, Any]:
    """The JSON the contract defines for POST {city}/reports."""
    return {
        "report_id": report.report_id,
        "incident_id": report.incident.incident_id,
        "sequence": report.sequence,
        "type": report.type,
        "occurred_at": clock.iso(report.occurred_at),
        "unit": {"code": report.unit_code, "name": report.unit_name} if report.unit_code else None,
        "text": report.text,
        "data": report.data,
    }

"""What the city sees when it asks where an incident stands."""

from __future__ import annotations

from typing import Any

from liandong import clock
from liandong.citylink.models import CityReport
from liandong.incidents.models import DeadlineState, Incident

_DEADLINE_OUTCOME = {
    DeadlineState.OPEN: "open",
    DeadlineState.MET: "met",
    DeadlineState.MISSED: "missed",
    DeadlineState.STOPPED: "stopped",
}


def incident_status(incident: Incident) -> dict[str, Any]:
    instructions = incident.instructions.select_related("unit").prefetch_related("deadlines")
    return {
        "incident_id": incident.incident_id,
        "status": incident.status,
        "class": incident.incident_class or None,
        "level": incident.level,
        "accepted_at": clock.iso(incident.accepted_at),
        "closed_at": clock.iso(incident.closed_at),
        "units": [
            {
                "code": i.unit.code,
                "name": i.unit.name,
                "role": i.role,
                "state": i.state,
                "dispatched_at": clock.iso(i.dispatched_at),
                "deadlines": [
                    {
                        "kind": d.kind,
                        "due_at": clock.iso(d.due_at),
                        "original_due_at": clock.iso(d.original_due_at),
                        "provisional": d.provisional,
                        "state": _DEADLINE_OUTCOME[DeadlineState(d.state)],
                        "completed_at": clock.iso(d.completed_at),
                    }
                    for d in i.deadlines.all()
                ],
            }
            for i in instructions
        ],
        "reports": [
            {
                "report_id": r.report_id,
                "sequence": r.sequence,
                "type": r.type,
                "occurred_at": clock.iso(r.occurred_at),
                "delivery": r.state,
            }
            for r in CityReport.objects.filter(incident=incident).order_by("sequence")
        ],
    }

"""The office's view of the outbox (reads; the resend action is in actions.py)."""

from __future__ import annotations

from typing import Any

from liandong import clock
from liandong.accounts.models import User
from liandong.citylink.delivery import CITY_QUEUE
from liandong.citylink.lifecycle import REPORT
from liandong.citylink.models import CityReport, ReportState
from liandong.incidents import access
from liandong.incidents.available import Offer, offer
from liandong.outbox import engine


def backlog() -> dict[str, Any]:
    counts = engine.backlog(CITY_QUEUE)
    oldest = (
        CityReport.objects.exclude(state=ReportState.DELIVERED)
        .order_by("created_at", "id")
        .select_related("incident")
        .first()
    )
    return {**counts, "oldest": report_dict(oldest) if oldest else None}


def report_offers(user: User, report: CityReport) -> list[Offer]:
    """What this user may do with a report (the office resends a parked one)."""
    return [
        offer(
            "resend", REPORT.action_labels["resend"], access.office_seat(user), REPORT, report.state
        )
    ]


def report_dict(report: CityReport, user: User | None = None) -> dict[str, Any]:
    actions = report_offers(user, report) if user is not None else []
    return {
        "id": report.pk,
        "report_id": report.report_id,
        "incident_id": report.incident.incident_id,
        "sequence": report.sequence,
        "type": report.type,
        "type_label": report.get_type_display(),
        "state": report.state,
        "state_label": report.get_state_display(),
        "attempts": report.attempts,
        "last_status": report.last_status,
        "last_error": report.last_error,
        "created_at": clock.iso(report.created_at),
        "next_attempt_at": clock.iso(report.next_attempt_at),
        "delivered_at": clock.iso(report.delivered_at),
        "text": report.text,
        "allowed_actions": [o.action for o in actions if o.allowed],
        "actions": [o.as_dict() for o in actions],
    }


def reports(
    user: User, *, state: str | None = None, incident_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    if not access.reads_everything(user):
        return []
    qs = engine.filter_state(
        CityReport.objects.select_related("incident").order_by("-created_at", "-id"), state
    )
    if incident_id:
        qs = qs.filter(incident__incident_id=incident_id)
    return [report_dict(r, user) for r in qs[:limit]]

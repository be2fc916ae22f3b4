"""The office's view of the outbox, and the one action it takes there (resend a parked report)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q

from liandong import clock
from liandong.citylink.models import CityReport, ReportState
from liandong.common.errors import IllegalTransition
from liandong.incidents.selectors import iso


def backlog() -> dict[str, Any]:
    now = clock.now()
    undelivered = CityReport.objects.exclude(state=ReportState.DELIVERED)
    counts = undelivered.aggregate(
        waiting=Count("id", filter=Q(state=ReportState.PENDING, attempts=0)),
        failing=Count("id", filter=Q(state=ReportState.PENDING, attempts__gt=0)),
        parked=Count("id", filter=Q(state=ReportState.PARKED)),
        oldest=Min("created_at"),
    )
    oldest = undelivered.order_by("created_at", "id").select_related("incident").first()
    return {
        "waiting": counts["waiting"],
        "failing": counts["failing"],
        "parked": counts["parked"],
        "oldest_age_seconds": int((now - counts["oldest"]).total_seconds())
        if counts["oldest"]
        else None,
        "oldest": report_dict(oldest) if oldest else None,
    }


def report_dict(report: CityReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "report_id": report.report_id,
        "incident_id": report.incident.incident_id,
        "sequence": report.sequence,
        "type": report.type,
        "state": report.state,
        "state_label": report.get_state_display(),
        "attempts": report.attempts,
        "last_status": report.last_status,
        "last_error": report.last_error,
        "created_at": iso(report.created_at),
        "next_attempt_at": iso(report.next_attempt_at),
        "delivered_at": iso(report.delivered_at),
        "text": report.text,
    }


def reports(
    *, state: str | None = None, incident_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    qs = CityReport.objects.select_related("incident").order_by("-created_at", "-id")
    if state == "failing":
        qs = qs.filter(state=ReportState.PENDING, attempts__gt=0)
    elif state == "waiting":
        qs = qs.filter(state=ReportState.PENDING, attempts=0)
    elif state:
        qs = qs.filter(state=state)
    if incident_id:
        qs = qs.filter(incident__incident_id=incident_id)
    return [report_dict(r) for r in qs[:limit]]


@transaction.atomic
def do_resend_report(*, report: CityReport) -> CityReport:
    """After the cause is fixed, a parked report goes back in the queue (keeping its place)."""
    locked = CityReport.objects.select_for_update().get(pk=report.pk)
    if locked.state != ReportState.PARKED:
        raise IllegalTransition(
            f"报告当前状态为「{locked.get_state_display()}」，只有已搁置的报告可以重发"
        )
    locked.state = ReportState.PENDING
    locked.next_attempt_at = clock.now()
    locked.lease_until = None
    locked.save()
    return locked

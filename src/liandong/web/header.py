"""The office navigation's counters in one query (every office page shows them), and the
reference lists the forms of the office pages offer, read once per request."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, QuerySet, Subquery, Value

from liandong.accounts.models import User
from liandong.citylink.models import CityReport, ReportState
from liandong.incidents import access
from liandong.incidents.lifecycle import IncidentStatus, InstructionState, RequestState


def _count(qs: QuerySet[Any]) -> Subquery:
    """`SELECT COUNT(id) FROM … WHERE …` as a scalar subquery."""
    return Subquery(qs.order_by().values(n=Func(F("pk"), function="COUNT")))


def office_counts(user: User) -> dict[str, int]:
    """The intake queue, what waits for the office's decision, and parked city reports: the
    same numbers as counting each list, read in one round trip (one row: this user's)."""
    pending = RequestState.PENDING_OFFICE
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            intake=_count(access.visible_incidents(user).filter(status=IncidentStatus.NEW)),
            returns=_count(access.visible_return_requests(user).filter(state=pending)),
            joins=_count(access.visible_join_requests(user).filter(state=pending)),
            extensions=_count(access.visible_extension_requests(user).filter(state=pending)),
            results=_count(
                access.visible_instructions(user).filter(state=InstructionState.RESULT_REPORTED)
            ),
            parked=_count(CityReport.objects.filter(state=ReportState.PARKED))
            if access.reads_everything(user)
            else Value(0),
        )
        .values("intake", "returns", "joins", "extensions", "results", "parked")
        .first()
    ) or {}
    n = {k: int(v or 0) for k, v in row.items()}
    return {
        "intake": n.get("intake", 0),
        "decisions": sum(n.get(k, 0) for k in ("returns", "joins", "extensions", "results")),
        "parked": n.get("parked", 0),
    }

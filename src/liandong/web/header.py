"""The office navigation's counters in one query (every office page shows them), and the
reference lists the forms of the office pages offer, read once per request."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Func, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL

from liandong.accounts.models import User
from liandong.citylink.models import CityReport, ReportState
from liandong.incidents import access, inbox
from liandong.incidents.lifecycle import IncidentStatus, InstructionState, RequestState


def _count(qs: QuerySet[Any]) -> Subquery:
    """`SELECT COUNT(id) FROM … WHERE …` as a scalar subquery."""
    return Subquery(qs.order_by().values(n=Func(F("pk"), function="COUNT")))


def _count_upto(qs: QuerySet[Any], cap: int) -> RawSQL | Value:
    """`SELECT COUNT(*) FROM (… LIMIT cap)` as a scalar subquery: counting stops at `cap`."""
    try:
        sql, params = qs.order_by().values("pk")[:cap].query.sql_with_params()
    except EmptyResultSet:  # the gate shows this user nothing (e.g. an administrator's bell)
        return Value(0)
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) upto", params)  # noqa: S611 (compiled by Django)


def office_counts(user: User) -> dict[str, int]:
    """The intake queue, what waits for the office's decision, parked city reports and the
    bell's unread count: the same numbers as counting each list, read in one round trip (one
    row: this user's)."""
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
            bell=_count_upto(inbox.unread(user), inbox.BELL_CAP + 1),
        )
        .values("intake", "returns", "joins", "extensions", "results", "parked", "bell")
        .first()
    ) or {}
    n = {k: int(v or 0) for k, v in row.items()}
    return {
        "intake": n.get("intake", 0),
        "decisions": sum(n.get(k, 0) for k in ("returns", "joins", "extensions", "results")),
        "parked": n.get("parked", 0),
        "bell": n.get("bell", 0),
    }

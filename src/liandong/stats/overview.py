"""The leadership overview: today's counts, volume over time, by category and by street, the late
units, and the on-time trend. A few grouped queries; the screen draws them with ECharts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate

from liandong import clock
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES, DeadlineState, IncidentStatus
from liandong.incidents.models import Deadline, Incident, Instruction
from liandong.stats.definitions import rate
from liandong.units.models import Unit, UnitKind

DAYS = 30
WEEKS = 8


def _midnight(moment: datetime) -> datetime:
    return clock.to_beijing(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def overview(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    today = _midnight(now)
    since = today - timedelta(days=DAYS - 1)
    open_instructions = Instruction.objects.exclude(state__in=FINAL_INSTRUCTION_VALUES)
    overdue = Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lt=now, paused_at=None)
    counts = {
        "waiting": Incident.objects.filter(status=IncidentStatus.NEW).count(),
        "open": open_instructions.count(),
        "overdue": overdue.values("instruction").distinct().count(),
        "today": Incident.objects.filter(received_at__gte=today).count(),
    }
    per_day = {
        row["day"]: row["n"]
        for row in Incident.objects.filter(received_at__gte=since)
        .annotate(day=TruncDate("received_at", tzinfo=clock.BEIJING))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    }
    days = [(since + timedelta(days=i)).date() for i in range(DAYS)]
    recent = Incident.objects.filter(received_at__gte=since)
    categories = [
        {"name": row["category__name"] or "未研判", "value": row["n"]}
        for row in recent.values("category__name").annotate(n=Count("pk")).order_by("-n")[:12]
    ]
    street_counts = dict(
        recent.exclude(street=None).values_list("street__code").annotate(n=Count("pk"))
    )
    streets = [
        {"code": s.code, "name": s.name, "value": street_counts.get(s.code, 0)}
        for s in Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("id")
    ]
    late_units = [
        {"name": row["instruction__unit__name"], "value": row["n"]}
        for row in overdue.values("instruction__unit__name")
        .annotate(n=Count("instruction", distinct=True))
        .order_by("-n")[:10]
    ]
    trend = _sign_trend(today, now)
    return {
        "at": clock.iso(now),
        "counts": counts,
        "volume": {
            "days": [d.strftime("%m-%d") for d in days],
            "values": [per_day.get(d, 0) for d in days],
        },
        "categories": categories,
        "streets": streets,
        "late_units": late_units,
        "trend": trend,
    }


def _sign_trend(today: datetime, now: datetime) -> list[dict[str, Any]]:
    """The sign-on-time rate of each of the last WEEKS weeks (the last one ends today), in one
    grouped query: each deadline is put in its week by a CASE over the week starts. A sign clock
    starts at dispatch, so its own `starts_at` is the instruction's dispatch moment (no join)."""
    starts = [today - timedelta(days=7 * week + 6) for week in range(WEEKS - 1, -1, -1)]
    week = Case(
        *(
            When(starts_at__gte=start, then=Value(i))
            for i, start in reversed(list(enumerate(starts)))
        ),
        output_field=IntegerField(),
    )
    rows = {
        row["week"]: row
        for row in Deadline.objects.filter(
            kind="sign",
            starts_at__gte=starts[0],
            starts_at__lt=today + timedelta(days=1),
        )
        .annotate(week=week)
        .values("week")
        .annotate(
            met=Count("pk", filter=Q(state=DeadlineState.MET)),
            late=Count(
                "pk",
                filter=Q(state=DeadlineState.MISSED) | Q(state=DeadlineState.OPEN, due_at__lt=now),
            ),
        )
        .order_by()
    }
    trend = []
    for i, start in enumerate(starts):
        row = rows.get(i, {"met": 0, "late": 0})
        trend.append(
            {
                "week": clock.to_beijing(start).strftime("%m-%d"),
                "sign_rate": rate(row["met"], row["met"] + row["late"]),
            }
        )
    return trend

"""The leadership overview: today's counts, volume over time, by category and by street, the late
units, and the on-time trend. A few grouped queries; the screen draws them with ECharts."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate

from liandong import clock
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES, DeadlineState, IncidentStatus
from liandong.incidents.models import Deadline, Incident, Instruction
from liandong.stats.definitions import rate
from liandong.units.models import Category, Unit, UnitKind

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
    # One scan of the last 30 days' incidents, by day, category and street; summed here.
    per_day: Counter[date] = Counter()
    per_category: Counter[int | None] = Counter()
    street_counts: Counter[int] = Counter()
    recent = (
        Incident.objects.filter(received_at__gte=since)
        .annotate(day=TruncDate("received_at", tzinfo=clock.BEIJING))
        .values_list("day", "category_id", "street_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for day, category, street, n in recent:
        per_day[day] += n
        per_category[category] += n
        if street is not None:
            street_counts[street] += n
    days = [(since + timedelta(days=i)).date() for i in range(DAYS)]
    names: dict[int | None, str] = dict(Category.objects.values_list("pk", "name"))
    categories = [
        {"name": names.get(category, "未研判"), "value": n}
        for category, n in per_category.most_common(12)
    ]
    streets = [
        {"code": s.code, "name": s.name, "value": street_counts.get(s.pk, 0)}
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


#: Past weeks' sign counts no longer change (a sign clock runs minutes): kept this long.
PAST_WEEKS_SECONDS = 600


def _sign_trend(today: datetime, now: datetime) -> list[dict[str, Any]]:
    """The sign-on-time rate of each of the last WEEKS weeks (the last one ends today). The
    current week is counted live; the earlier ones come from a short cache (their sign clocks
    all ended long ago), computed in one grouped query: each deadline is put in its week by a
    CASE over the week starts. A sign clock starts at dispatch, so its own `starts_at` is the
    instruction's dispatch moment (no join)."""
    starts = [today - timedelta(days=7 * week + 6) for week in range(WEEKS - 1, -1, -1)]
    key = f"overview-sign-weeks:{clock.iso(starts[0])}"
    rows = cache.get(key)
    if rows is None:
        rows = _week_counts(starts[:-1], starts[-1], now)
        cache.set(key, rows, PAST_WEEKS_SECONDS)
    rows = {
        **rows,
        **{
            i + WEEKS - 1: r
            for i, r in _week_counts(starts[-1:], today + timedelta(days=1), now).items()
        },
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


def _week_counts(starts: list[datetime], end: datetime, now: datetime) -> dict[int, dict[str, int]]:
    """Sign clocks met and late per week (weeks begin at `starts`, the last ends at `end`)."""
    week = Case(
        *(
            When(starts_at__gte=start, then=Value(i))
            for i, start in reversed(list(enumerate(starts)))
        ),
        output_field=IntegerField(),
    )
    return {
        row.pop("week"): row
        for row in Deadline.objects.filter(kind="sign", starts_at__gte=starts[0], starts_at__lt=end)
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

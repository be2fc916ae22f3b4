"""What a month's bulletin says, computed from the statistics (a read): totals and the change from
the month before, the score and rank of every unit within its tier, the units with overdue
instructions, the month's supervision orders."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from liandong import clock
from liandong.assessment.models import AssessmentWeights
from liandong.assessment.scoring import Weights, rank_within_tiers, score
from liandong.stats.services import statistics
from liandong.supervision.models import SupervisionOrder
from liandong.units.models import Unit

TOTALS = (
    ("incidents", "警情数", ""),
    ("instructions", "指令数", ""),
    ("sign_rate", "签收及时率", "%"),
    ("feedback_rate", "首次反馈及时率", "%"),
    ("result_rate", "办结及时率", "%"),
    ("contact_rate", "联系报警人及时率", "%"),
    ("satisfaction_rate", "回访满意率", "%"),
    ("supervisions", "督办数", ""),
)
OVERDUE_KEYS = ("sign_overdue", "feedback_overdue", "result_overdue", "contact_overdue")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime.combine(first, time(), tzinfo=clock.BEIJING),
        datetime.combine(following, time(), tzinfo=clock.BEIJING),
    )


def previous_month(month: date) -> date:
    first = month.replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def current_weights() -> Weights:
    row = AssessmentWeights.objects.first()
    if row is None:
        return Weights()
    return Weights(
        sign=row.sign,
        feedback=row.feedback,
        result=row.result,
        contact=row.contact,
        satisfaction=row.satisfaction,
        per_urge=row.per_urge,
        per_supervision=row.per_supervision,
        per_late_answer=row.per_late_answer,
    )


def _change(now: Any, before: Any, unit: str) -> str:
    if now is None or before is None:
        return "—"
    delta = round(float(now) - float(before), 1)
    sign = "+" if delta > 0 else ""
    if unit == "%":
        return f"{sign}{delta}个百分点"
    return f"{sign}{int(delta) if float(delta).is_integer() else delta}"


def compose(month: date, *, now: datetime | None = None) -> dict[str, Any]:
    start, end = month_bounds(month)
    stats = statistics(start=start, end=end, by="unit", now=now)
    before = statistics(start=month_bounds(previous_month(month))[0], end=start, by="unit", now=now)
    weights = current_weights()
    tiers = dict(Unit.objects.filter(tier__isnull=False).values_list("code", "tier"))
    rows = [
        {**row, "tier": tiers.get(row["key"], 0), "score": score(row, weights)}
        for row in stats["rows"]
    ]
    ranking = rank_within_tiers(rows)
    orders = SupervisionOrder.objects.filter(
        issued_at__gte=start, issued_at__lt=end
    ).select_related("unit")
    return {
        "period": f"{start.year}年{start.month}月",
        "from": clock.iso(start),
        "to": clock.iso(end),
        "weights": weights.__dict__,
        "totals": [
            {
                "key": key,
                "label": label,
                "unit": unit,
                "value": stats["total"].get(key),
                "change": _change(stats["total"].get(key), before["total"].get(key), unit),
            }
            for key, label, unit in TOTALS
        ],
        "ranking": [
            {
                "tier": r["tier"],
                "rank": r["rank"],
                "unit": r["label"],
                "score": r["score"],
                "sign_rate": r["sign_rate"],
                "feedback_rate": r["feedback_rate"],
                "result_rate": r["result_rate"],
                "contact_rate": r["contact_rate"],
                "satisfaction_rate": r["satisfaction_rate"],
                "overdue": sum(r[k] for k in OVERDUE_KEYS),
                "urges": r["urges_office"] + r["urges_city"],
                "supervisions": r["supervisions"],
            }
            for r in ranking
        ],
        "overdue_units": sorted(
            (
                {"unit": r["label"], "count": sum(r[k] for k in OVERDUE_KEYS)}
                for r in rows
                if sum(r[k] for k in OVERDUE_KEYS)
            ),
            key=lambda u: -u["count"],
        ),
        "supervision_orders": [
            f"{o.number} {o.unit.name}：{o.title}（{o.get_state_display()}"
            + ("，逾期回复" if o.answered_late else "")
            + "）"
            for o in orders.order_by("issued_at")
        ],
    }

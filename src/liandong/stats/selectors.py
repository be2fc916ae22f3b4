"""The statistics of a period, grouped by unit, tier, category, street, level or class.

The instructions counted are those dispatched in [start, end); every figure is about them (their
deadlines, requests, urges, supervision orders) or, for call-backs, about their incidents, counted
for the incident's primary unit. A handful of grouped queries (one per related table, so no join
multiplies another), merged per group in Python; the definitions are in definitions.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, FloatField, Func, Model, Q, QuerySet

from liandong import clock
from liandong.incidents.lifecycle import DeadlineState, RequestState
from liandong.incidents.models import (
    CallBack,
    Deadline,
    ExtensionRequest,
    Instruction,
    JoinRequest,
    ReturnRequest,
    Satisfaction,
    Urge,
)
from liandong.stats.definitions import FIGURES, GROUPINGS, percentile, rate
from liandong.supervision.models import SupervisionOrder

#: grouping → (the key's path from an instruction, the label's path or None)
PATHS: dict[str, tuple[str, str | None]] = {
    "unit": ("unit__code", "unit__name"),
    "tier": ("tier", None),
    "category": ("incident__category__code", "incident__category__name"),
    "street": ("incident__street__code", "incident__street__name"),
    "level": ("level", None),
    "class": ("incident__incident_class", None),
}
FIXED_LABELS: dict[str, dict[Any, str]] = {
    "tier": {1: "一级联动单位", 2: "二级联动单位", 3: "三级联动单位"},
    "level": {1: "一级指令（紧急类）", 2: "二级指令（非紧急类）"},
    "class": {"source_diversion": "源头分流类", "linked_disposal": "联动处置类"},
}
KINDS = ("sign", "feedback", "result", "caller_contact")
#: Counted distinct: one order or call-back may reach several groups (and the total once).
SUPERVISION_COUNTS = {
    "supervisions": Count("pk", distinct=True),
    "supervisions_late": Count("pk", distinct=True, filter=Q(answered_late=True)),
}
CALLBACK_COUNTS = {
    "called_back": Count("pk", distinct=True),
    "satisfied": Count(
        "pk",
        distinct=True,
        filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY]),
    ),
    "reopened": Count("pk", distinct=True, filter=Q(reopened=True)),
}
#: The rows about one instruction that are counted, each with what is counted of them.
REQUEST_COUNTS: tuple[tuple[type[Model], dict[str, Count]], ...] = (
    (
        ReturnRequest,
        {
            "returns_asked": Count("pk"),
            "returns_granted": Count("pk", filter=Q(state=RequestState.APPROVED)),
        },
    ),
    (JoinRequest, {"joins_asked": Count("pk")}),
    (
        ExtensionRequest,
        {
            "extensions_asked": Count("pk"),
            "extensions_granted": Count("pk", filter=Q(state=RequestState.APPROVED)),
        },
    ),
    (
        Urge,
        {
            "urges_office": Count("pk", filter=Q(by_city=False)),
            "urges_city": Count("pk", filter=Q(by_city=True)),
        },
    ),
)
RATE_KEY = {"sign": "sign", "feedback": "feedback", "result": "result", "caller_contact": "contact"}


class Minutes(Func):
    """Minutes from `earlier` to `later` as a float, computed in the database (NULL if either is)."""

    output_field = FloatField()

    def __init__(self, later: str, earlier: str) -> None:
        super().__init__(F(later), F(earlier))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 60"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "(julianday(%(expressions)s)) * 1440.0"
        return self.as_sql(
            compiler, connection, template=template, arg_joiner=") - julianday(", **extra
        )


@dataclass
class Tally:
    """What is counted for one group, before the figures are derived."""

    label: str = ""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    minutes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def merge(self, other: Tally) -> None:
        for k, v in other.counts.items():
            self.counts[k] += v
        for k, values in other.minutes.items():
            self.minutes[k].extend(values)

    def figures(self) -> dict[str, Any]:
        c = self.counts
        out: dict[str, Any] = {"incidents": c["incidents"], "instructions": c["instructions"]}
        for kind in KINDS:
            name = RATE_KEY[kind]
            late = c[f"{kind}_missed"] + c[f"{kind}_overdue"]
            out[f"{name}_rate"] = rate(c[f"{kind}_met"], c[f"{kind}_met"] + late)
            out[f"{name}_overdue"] = late
        for stage in ("sign", "feedback", "result"):
            values = self.minutes[stage]
            out[f"{stage}_minutes"] = round(sum(values) / len(values), 1) if values else None
            p90 = percentile(values)
            out[f"{stage}_minutes_p90"] = round(p90, 1) if p90 is not None else None
        for key in (
            "returns_asked",
            "returns_granted",
            "joins_asked",
            "extensions_asked",
            "extensions_granted",
            "urges_office",
            "urges_city",
            "supervisions",
            "supervisions_late",
            "reopened",
        ):
            out[key] = c[key]
        out["satisfaction_rate"] = rate(c["satisfied"], c["called_back"])
        return out


def _label(by: str, key: Any, label: Any) -> str:
    if by in FIXED_LABELS:
        return FIXED_LABELS[by].get(key, "未指定")
    return str(label) if label else "未指定"


def _grouped(
    qs: QuerySet[Any], prefix: str, by: str, tallies: dict[Any, Tally], **aggregates: Any
) -> None:
    key_path, _ = PATHS[by]
    for row in qs.values(key=_f(prefix, key_path)).annotate(**aggregates).order_by():
        tally = tallies.setdefault(row.pop("key"), Tally())
        for name, value in row.items():
            tally.counts[name] += value or 0


def _f(prefix: str, path: str) -> F:
    return F(f"{prefix}{path}")


def compute(
    *, start: datetime, end: datetime, by: str, now: datetime | None = None
) -> dict[str, Any]:
    """The figures per group and in total, for instructions dispatched in [start, end)."""
    if by not in PATHS:
        raise ValueError(f"unknown grouping {by!r}")
    now = now or clock.now()
    key_path, label_path = PATHS[by]

    def period(prefix: str = "", **more: Any) -> Q:
        """The period as a filter from `prefix` (related rows join, no subquery: the index on
        dispatched_at does the work)."""
        return Q(
            **{f"{prefix}dispatched_at__gte": start, f"{prefix}dispatched_at__lt": end}, **more
        )

    instructions = Instruction.objects.filter(period())
    tallies: dict[Any, Tally] = {}
    base = instructions.values(
        key=_f("", key_path), **({"label": _f("", label_path)} if label_path else {})
    ).annotate(instructions=Count("pk"), incidents=Count("incident", distinct=True))
    for row in base.order_by():
        tally = tallies.setdefault(row["key"], Tally())
        tally.label = _label(by, row["key"], row.get("label"))
        tally.counts["instructions"] += row["instructions"]
        tally.counts["incidents"] += row["incidents"]
    deadline_counts: dict[str, Any] = {}
    for kind in KINDS:
        of_kind = Q(kind=kind)
        deadline_counts[f"{kind}_met"] = Count("pk", filter=of_kind & Q(state=DeadlineState.MET))
        deadline_counts[f"{kind}_missed"] = Count(
            "pk", filter=of_kind & Q(state=DeadlineState.MISSED)
        )
        deadline_counts[f"{kind}_overdue"] = Count(
            "pk", filter=of_kind & Q(state=DeadlineState.OPEN, due_at__lt=now)
        )
    _grouped(
        Deadline.objects.filter(period("instruction__")),
        "instruction__",
        by,
        tallies,
        **deadline_counts,
    )
    stages = (("sign", "signed_at"), ("feedback", "feedback_at"), ("result", "result_at"))
    # Elapsed minutes computed by the database: no timestamps to parse in Python.
    elapsed = {stage: Minutes(moment, "dispatched_at") for stage, moment in stages}
    moments = (
        instructions.filter(
            Q(signed_at__isnull=False) | Q(feedback_at__isnull=False) | Q(result_at__isnull=False)
        )
        .annotate(**{f"{stage}_minutes": minutes for stage, minutes in elapsed.items()})
        .values_list(key_path, *(f"{stage}_minutes" for stage in elapsed))
    )
    for key, *done in moments.order_by():
        minutes = tallies.setdefault(key, Tally()).minutes
        for stage, value in zip(elapsed, done, strict=True):
            if value is not None:
                minutes[stage].append(value)
    for model, counts in REQUEST_COUNTS:
        _grouped(
            model._default_manager.filter(period("instruction__")),
            "instruction__",
            by,
            tallies,
            **counts,
        )
    _grouped(
        SupervisionOrder.objects.filter(period("instructions__")),
        "instructions__",
        by,
        tallies,
        **SUPERVISION_COUNTS,
    )
    primaries = period("incident__instructions__", incident__instructions__role="primary")
    _grouped(
        CallBack.objects.filter(primaries),
        "incident__instructions__",
        by,
        tallies,
        **CALLBACK_COUNTS,
    )
    total = Tally(label="合计")
    rows = []
    for key, tally in sorted(tallies.items(), key=lambda kv: (kv[0] is None, str(kv[0]))):
        total.merge(tally)
        rows.append({"key": key, "label": tally.label or _label(by, key, None), **tally.figures()})
    # What one incident or order may add to several groups is counted once in the total.
    total.counts.update(
        instructions.aggregate(incidents=Count("incident", distinct=True))
        | SupervisionOrder.objects.filter(period("instructions__")).aggregate(**SUPERVISION_COUNTS)
        | CallBack.objects.filter(primaries).aggregate(**CALLBACK_COUNTS)
    )
    return {
        "from": clock.iso(start),
        "to": clock.iso(end),
        "by": by,
        "by_label": GROUPINGS[by],
        "figures": [
            {"key": f.key, "label": f.label, "definition": f.definition, "unit": f.unit}
            for f in FIGURES
        ],
        "rows": rows,
        "total": {"key": None, "label": "合计", **total.figures()},
    }

"""The statistics of a period, grouped by unit, tier, category, street, level or class.

The instructions counted are those dispatched in [start, end); every figure is about them (their
deadlines, requests, urges, supervision orders) or, for call-backs, about their incidents, counted
for the incident's primary unit. Read from the instruction facts (models.InstructionFact, kept by
facts.py; callers refresh them first, see services.statistics): one grouped scan of the period's
facts (on PostgreSQL with the mean and 90th percentile of the elapsed minutes; elsewhere those are
computed here from the minutes), and small grouped queries for what moves with the clock (open
deadlines past due) and supervision orders. The definitions are in definitions.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, FloatField, Q, QuerySet, Sum

from liandong import clock
from liandong.incidents.lifecycle import DeadlineState
from liandong.incidents.models import Deadline
from liandong.stats.definitions import FIGURES, GROUPINGS, KINDS, percentile, rate
from liandong.stats.models import InstructionFact
from liandong.supervision.models import SupervisionOrder
from liandong.units.models import Category, Unit

#: grouping → (the fact's column grouped by, the model whose code and name label its keys or
#: None). Grouped by the fact's own narrow column (an id), not a joined code and name: sorting
#: half a million rows by two texts cost more than all the figures (benchmarks/stats.py).
PATHS: dict[str, tuple[str, type[Unit] | type[Category] | None]] = {
    "unit": ("unit", Unit),
    "tier": ("tier", None),
    "category": ("category", Category),
    "street": ("street", Unit),
    "level": ("level", None),
    "class": ("incident_class", None),
}
FIXED_LABELS: dict[str, dict[Any, str]] = {
    "tier": {1: "一级联动单位", 2: "二级联动单位", 3: "三级联动单位"},
    "level": {1: "一级指令（紧急类）", 2: "二级指令（非紧急类）"},
    "class": {"source_diversion": "源头分流类", "linked_disposal": "联动处置类"},
}
STAGES = ("sign", "feedback", "result")
#: Requests and urges: a fact's count, summed and shown as it is.
REQUESTS = (
    "returns_asked",
    "returns_granted",
    "joins_asked",
    "extensions_asked",
    "extensions_granted",
    "urges_office",
    "urges_city",
)
#: Summed over the period's facts.
FACT_SUMS = (
    *(f"{kind}_{outcome}" for kind in KINDS for outcome in ("met", "missed")),
    *REQUESTS,
    "called_back",
    "satisfied",
    "reopened",
)
#: Counted distinct: one order or call-back may reach several groups (and the total once).
SUPERVISION_COUNTS = {
    "supervisions": Count("pk", distinct=True),
    "supervisions_late": Count("pk", distinct=True, filter=Q(answered_late=True)),
}
RATE_KEY = {"sign": "sign", "feedback": "feedback", "result": "result", "caller_contact": "contact"}


@dataclass
class Tally:
    """What is counted for one group, before the figures are derived."""

    label: str = ""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    minutes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    #: stage → (mean, 90th percentile) when the database computed them (else from `minutes`)
    timing: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

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
        for stage in STAGES:
            values = self.minutes[stage]
            mean, p90 = self.timing.get(stage) or (
                sum(values) / len(values) if values else None,
                percentile(values),
            )
            out[f"{stage}_minutes"] = round(mean, 1) if mean is not None else None
            out[f"{stage}_minutes_p90"] = round(p90, 1) if p90 is not None else None
        for key in (*REQUESTS, "supervisions", "supervisions_late", "reopened"):
            out[key] = c[key]
        out["satisfaction_rate"] = rate(c["satisfied"], c["called_back"])
        return out


class Percentile90(Aggregate):
    """The nearest-rank 90th percentile (definitions.percentile), PostgreSQL only."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(0.9) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _collect_minutes(facts: QuerySet[Any], key_path: str, tallies: dict[Any, Tally]) -> None:
    """Each group's elapsed minutes per stage, for the mean and percentile computed here."""
    moments = facts.filter(
        Q(sign_minutes__isnull=False)
        | Q(feedback_minutes__isnull=False)
        | Q(result_minutes__isnull=False)
    ).values_list(key_path, *(f"{stage}_minutes" for stage in STAGES))
    for key, *done in moments.order_by():
        minutes = tallies.setdefault(key, Tally()).minutes
        for stage, value in zip(STAGES, done, strict=True):
            if value is not None:
                minutes[stage].append(value)


def _label(by: str, key: Any, label: Any) -> str:
    if by in FIXED_LABELS:
        return FIXED_LABELS[by].get(key, "未指定")
    return str(label) if label else "未指定"


def _coded(by: str, tallies: dict[Any, Tally]) -> dict[Any, Tally]:
    """The tallies keyed by code and labelled by name, for groupings by a unit or category id."""
    _, model = PATHS[by]
    if model is None:
        return tallies
    named = {
        pk: (code, name)
        for pk, code, name in model._default_manager.filter(pk__in=list(tallies)).values_list(
            "pk", "code", "name"
        )
    }
    coded: dict[Any, Tally] = {}
    for pk, tally in tallies.items():
        code, name = named.get(pk, (None, None))
        tally.label = _label(by, code, name)
        coded[code] = tally
    return coded


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
    """The figures per group and in total, for instructions dispatched in [start, end), as the
    facts have them (see services.statistics for figures refreshed first)."""
    if by not in PATHS:
        raise ValueError(f"unknown grouping {by!r}")
    now = now or clock.now()
    key_path, _ = PATHS[by]

    def period(prefix: str = "", **more: Any) -> Q:
        """The period as a filter from `prefix` (a join on the facts' dispatched_at index)."""
        return Q(
            **{f"{prefix}dispatched_at__gte": start, f"{prefix}dispatched_at__lt": end}, **more
        )

    facts = InstructionFact.objects.filter(period())
    in_database = connection.vendor == "postgresql"  # percentile_disc: an ordered-set aggregate
    timing = (
        {
            f"{stage}_{what}": aggregate(f"{stage}_minutes")
            for stage in STAGES
            for what, aggregate in (("mean", Avg), ("p90", Percentile90))
        }
        if in_database
        else {}
    )
    tallies: dict[Any, Tally] = {}
    base = facts.values(key=F(key_path)).annotate(
        instructions=Count("pk"),
        incidents=Count("incident", distinct=True),
        **{name: Sum(name) for name in FACT_SUMS},
        **timing,
    )
    for row in base.order_by():
        key = row.pop("key")
        tally = tallies.setdefault(key, Tally())
        tally.label = _label(by, key, None)
        tally.timing = {s: (row.pop(f"{s}_mean"), row.pop(f"{s}_p90")) for s in STAGES if timing}
        for name, value in row.items():
            tally.counts[name] += value or 0
    if not in_database:
        _collect_minutes(facts, key_path, tallies)
    # Past due and still open: moves with the clock, so counted live (open deadlines are few;
    # only those past due are read, through the open deadlines' index on due_at).
    _grouped(
        Deadline.objects.filter(
            period("instruction__fact__"), state=DeadlineState.OPEN, due_at__lt=now
        ),
        "instruction__fact__",
        by,
        tallies,
        **{f"{kind}_overdue": Count("pk", filter=Q(kind=kind, due_at__lt=now)) for kind in KINDS},
    )
    _grouped(
        SupervisionOrder.objects.filter(period("instructions__fact__")),
        "instructions__fact__",
        by,
        tallies,
        **SUPERVISION_COUNTS,
    )
    tallies = _coded(by, tallies)
    total = Tally(label="合计")
    rows = []
    for key, tally in sorted(tallies.items(), key=lambda kv: (kv[0] is None, str(kv[0]))):
        total.merge(tally)
        rows.append({"key": key, "label": tally.label or _label(by, key, None), **tally.figures()})
    # What one incident or order may add to several groups is counted once in the total.
    overall = facts.aggregate(incidents=Count("incident", distinct=True), **timing)
    total.timing = {
        s: (overall.pop(f"{s}_mean"), overall.pop(f"{s}_p90")) for s in STAGES if timing
    }
    total.counts.update(
        overall
        | SupervisionOrder.objects.filter(period("instructions__fact__")).aggregate(
            **SUPERVISION_COUNTS
        )
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

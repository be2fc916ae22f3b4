"""The statistics of a period, grouped by unit, tier, category, street, level or class.

The instructions counted are those dispatched in [start, end); every figure is about them (their
deadlines, requests, urges, supervision orders) or, for call-backs, about their incidents, counted
for the incident's primary unit. Read from the instruction facts (models.InstructionFact, kept by
facts.py; callers refresh them first, see services.statistics) by scan.py: one hashed scan of the
period's facts, and the means and 90th percentiles of the elapsed minutes; kept in the cache while
the period's facts do not change. What moves with the clock (open deadlines past due) is counted
from the facts' due moments against `now`; distinct incidents from the facts' "previous
instruction" moments, without a DISTINCT. Supervision orders (few, many-to-many) are counted live
here. The definitions are in definitions.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from liandong import clock
from liandong.stats.definitions import FIGURES, GROUPINGS, KINDS, rate
from liandong.stats.scan import REQUESTS, STAGES, Timing, scanned
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
    #: stage → (mean, 90th percentile) of the elapsed minutes
    timing: Timing = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        c = self.counts
        out: dict[str, Any] = {"incidents": c["incidents"], "instructions": c["instructions"]}
        for kind in KINDS:
            name = RATE_KEY[kind]
            late = c[f"{kind}_missed"] + c[f"{kind}_overdue"]
            out[f"{name}_rate"] = rate(c[f"{kind}_met"], c[f"{kind}_met"] + late)
            out[f"{name}_overdue"] = late
        for stage in STAGES:
            mean, p90 = self.timing.get(stage, (None, None))
            out[f"{stage}_minutes"] = round(mean, 1) if mean is not None else None
            out[f"{stage}_minutes_p90"] = round(p90, 1) if p90 is not None else None
        for key in (*REQUESTS, "supervisions", "supervisions_late", "reopened"):
            out[key] = c[key]
        out["satisfaction_rate"] = rate(c["satisfied"], c["called_back"])
        return out


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

    found = scanned(start=start, end=end, by=by, key_path=key_path, now=now)
    tallies: dict[Any, Tally] = {}
    for key, counts in found.counts.items():
        tally = tallies[key] = Tally(label=_label(by, key, None), timing=found.timing.get(key, {}))
        tally.counts.update(counts)
    _grouped(
        SupervisionOrder.objects.filter(period("instructions__fact__")),
        "instructions__fact__",
        by,
        tallies,
        **SUPERVISION_COUNTS,
    )
    tallies = _coded(by, tallies)
    total = Tally(label="合计", timing=found.total_timing)
    rows = []
    for key, tally in sorted(tallies.items(), key=lambda kv: (kv[0] is None, str(kv[0]))):
        for name, value in tally.counts.items():
            total.counts[name] += value
        rows.append({"key": key, "label": tally.label or _label(by, key, None), **tally.figures()})
    # What one incident or order may add to several groups is counted once in the total.
    total.counts["incidents"] = total.counts["incidents_overall"]
    total.counts.update(
        SupervisionOrder.objects.filter(period("instructions__fact__")).aggregate(
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

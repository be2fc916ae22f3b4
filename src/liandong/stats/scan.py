"""What a period's facts say, per group: one hashed scan of sums and filtered counts, and the
means and 90th percentiles of the minutes (on PostgreSQL one statement with GROUPING SETS;
elsewhere computed here from the minutes). Kept in the cache while the period's facts do not
change (ADR 22):

- every write of facts (facts._rebuild, the set-based rebuild) gives each Beijing day it wrote a
  new random token (`FactDay`), in the same transaction; a period's cache key is its grouping and
  the tokens of its days, so a changed fact is never read from the cache;
- "past due and still open" moves with the clock: the cached counts are as of the moment `at`
  they were made, and a read at `now` adds the facts whose open deadline fell due in [at, now)
  (one small query on the due moments' partial indexes) — exactly the count at `now`."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from liandong import clock
from liandong.stats.definitions import KINDS, percentile
from liandong.stats.models import FactDay, InstructionFact

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
#: grouping → the fact's moment of the incident's previous instruction in the same group
#: (category, street and class are the incident's own: any previous instruction).
PREVIOUS = {
    "unit": "previous_unit_at",
    "tier": "previous_tier_at",
    "category": "previous_at",
    "street": "previous_at",
    "level": "previous_level_at",
    "class": "previous_at",
}
COLUMNS = {f.name: f.column for f in InstructionFact._meta.concrete_fields}
#: The mean and nearest-rank 90th percentile (definitions.percentile) of each stage's minutes, per
#: group and in total in one statement (PostgreSQL: an ordered-set aggregate over GROUPING SETS);
#: only facts with some minutes are sorted (the others change neither figure).
TIMING_SQL = """SELECT GROUPING({key}) = 1 AS total, {key} AS key, {figures}
FROM stats_instructionfact
WHERE dispatched_at >= %s AND dispatched_at < %s AND ({some})
GROUP BY GROUPING SETS (({key}), ())"""
CACHE_SECONDS = 24 * 3600

Timing = dict[str, tuple[float | None, float | None]]


@dataclass
class Scanned:
    """The facts' figures of a period per group key, with "past due" counted as of `at`."""

    at: datetime
    counts: dict[Any, dict[str, int]] = field(default_factory=dict)
    timing: dict[Any, Timing] = field(default_factory=dict)
    total_timing: Timing = field(default_factory=dict)


def scanned(*, start: datetime, end: datetime, by: str, key_path: str, now: datetime) -> Scanned:
    """The period's figures from the facts as they are now (from the cache when its days' facts
    have not changed since it was made)."""
    key = _cache_key(start, end, by)
    found: Scanned | None = cache.get(key)
    if found is None or found.at > now:
        found = _scan(start, end, by, key_path, now)
    elif found.at < now:
        _fell_due(found, start, end, key_path, now)
    else:
        return found
    cache.set(key, found, CACHE_SECONDS)
    return found


def _cache_key(start: datetime, end: datetime, by: str) -> str:
    first = clock.to_beijing(start).date()
    last = clock.to_beijing(end - timedelta(microseconds=1)).date()
    tokens = FactDay.objects.filter(day__range=(first, last)).order_by("day")
    digest = hashlib.sha256(repr(list(tokens.values_list("day", "token"))).encode()).hexdigest()
    return f"stats:{start.isoformat()}:{end.isoformat()}:{by}:{digest}"


def _period(start: datetime, end: datetime) -> QuerySet[InstructionFact]:
    return InstructionFact.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)


def _scan(start: datetime, end: datetime, by: str, key_path: str, now: datetime) -> Scanned:
    def first(column: str) -> Q:
        """The facts that are their incident's first in the period (in their group: `column`)."""
        return Q(**{f"{column}__isnull": True}) | Q(**{f"{column}__lt": start})

    facts = _period(start, end)
    out = Scanned(at=now)
    # One hashed scan: sums and filtered counts only (no DISTINCT, no ordered aggregate)
    rows = facts.values(key=F(key_path)).annotate(
        instructions=Count("pk"),
        incidents=Count("pk", filter=first(PREVIOUS[by])),
        # each fact is in one group: summed over the groups, the total's distinct incidents
        incidents_overall=Count("pk", filter=first("previous_at")),
        **{name: Sum(name) for name in FACT_SUMS},
        # past due and still open: moves with the clock, so compared with `now` here
        **{f"{kind}_overdue": Count("pk", filter=Q(**{f"{kind}_due__lt": now})) for kind in KINDS},
    )
    for row in rows.order_by():
        key = row.pop("key")
        out.counts[key] = {name: value or 0 for name, value in row.items()}
    if connection.vendor == "postgresql":  # percentile_disc: an ordered-set aggregate
        _timing_in_database(out, start, end, key_path)
    else:
        _timing_here(out, facts, key_path)
    return out


def _fell_due(found: Scanned, start: datetime, end: datetime, key_path: str, now: datetime) -> None:
    """Add to the counts of `found` the open deadlines that fell due in [found.at, now)."""
    between = {kind: Q(**{f"{kind}_due__gte": found.at, f"{kind}_due__lt": now}) for kind in KINDS}
    any_kind = Q()
    for q in between.values():
        any_kind |= q
    rows = (
        _period(start, end)
        .filter(any_kind)
        .values(key=F(key_path))
        .annotate(**{f"{kind}_overdue": Count("pk", filter=q) for kind, q in between.items()})
    )
    for row in rows.order_by():
        counts = found.counts.setdefault(row.pop("key"), {})
        for name, value in row.items():
            counts[name] = counts.get(name, 0) + value
    found.at = now


def _timing_in_database(out: Scanned, start: datetime, end: datetime, key_path: str) -> None:
    sql = TIMING_SQL.format(
        key=COLUMNS[key_path],
        figures=", ".join(
            f"AVG({stage}_minutes), PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY {stage}_minutes)"
            for stage in STAGES
        ),
        some=" OR ".join(f"{stage}_minutes IS NOT NULL" for stage in STAGES),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        for total, key, *figures in cursor.fetchall():
            timing = {stage: (figures[2 * n], figures[2 * n + 1]) for n, stage in enumerate(STAGES)}
            if total:
                out.total_timing = timing
            else:
                out.timing[key] = timing


def _timing_here(out: Scanned, facts: QuerySet[InstructionFact], key_path: str) -> None:
    """The same from the minutes read here (SQLite)."""
    minutes: dict[Any, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    moments = facts.filter(
        Q(sign_minutes__isnull=False)
        | Q(feedback_minutes__isnull=False)
        | Q(result_minutes__isnull=False)
    ).values_list(key_path, *(f"{stage}_minutes" for stage in STAGES))
    everything: dict[str, list[float]] = defaultdict(list)
    for key, *done in moments.order_by():
        for stage, value in zip(STAGES, done, strict=True):
            if value is not None:
                minutes[key][stage].append(value)
                everything[stage].append(value)
    out.timing = {key: _of(values) for key, values in minutes.items()}
    out.total_timing = _of(everything)


def _of(minutes: dict[str, list[float]]) -> Timing:
    return {
        stage: (sum(values) / len(values), percentile(values))
        for stage, values in minutes.items()
        if values
    }

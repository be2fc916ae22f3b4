"""Keeping the statistics' facts (models.InstructionFact) in step with the incidents.

- `mark_stale` is an event hook: each event queues its incident, in the event's transaction
  (a calendar recompute's `deadline_recomputed` too, for the due moments only: the facts hold
  the open deadlines' due moments).
- `do_refresh_facts` rebuilds the facts of queued incidents from committed rows and removes
  exactly the queue rows it read (a row queued meanwhile stays for the next round). The worker
  runs it every round, and the statistics run it before they read, so figures are never stale.
  On PostgreSQL a batch is one statement (facts_sql.py; one more for the incidents queued for
  their due moments only, which a calendar edit queues by the hundred thousand), elsewhere
  `_rebuild` below.
- `do_rebuild_all_facts` rebuilds every fact (after a bulk load; `liandong rebuild_stats_facts`);
  on PostgreSQL set-based (facts_sql.py: one INSERT … SELECT per range, tested to write the very
  rows this module's refresh writes), elsewhere through the refresh's own `_rebuild`."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q

from liandong import clock
from liandong.common.inserts import insert_rows
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import DeadlineState, RequestState
from liandong.incidents.models import (
    REACHED,
    CallBack,
    Deadline,
    Event,
    ExtensionRequest,
    Instruction,
    JoinRequest,
    ReturnRequest,
    Role,
    Satisfaction,
    Urge,
)
from liandong.stats.definitions import KINDS
from liandong.stats.models import FactDay, InstructionFact, StaleIncident

CHUNK = 2000
STAGES = (("sign", "signed_at"), ("feedback", "feedback_at"), ("result", "result_at"))
#: What is counted of the rows about one instruction (each model grouped by instruction).
REQUEST_COUNTS: tuple[tuple[Any, dict[str, Count]], ...] = (
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


FACT_FIELDS = [f.name for f in InstructionFact._meta.concrete_fields if not f.primary_key]
FACT_COLUMNS = [f.attname for f in InstructionFact._meta.concrete_fields if not f.primary_key]

GOOD = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)  # of REACHED


#: The fact's "previous instruction" moments: column → what an instruction must share with the
#: incident's earlier one (nothing: any earlier instruction of the incident).
PREVIOUS: dict[str, tuple[str, ...]] = {
    "previous_at": (),
    "previous_unit_at": ("unit_id",),
    "previous_tier_at": ("tier",),
    "previous_level_at": ("level",),
}


#: events that make an incident, which has no instruction and so no fact yet: nothing to queue
#: (the city intake's hot path writes one row fewer)
NO_FACTS_YET = frozenset({EventKind.RECEIVED, EventKind.CREATED})


#: events that change nothing the facts keep but the due moments of open deadlines
DUES_ONLY = frozenset({EventKind.DEADLINE_RECOMPUTED})
_NOT_WHOLE = NO_FACTS_YET | DUES_ONLY


def mark_stale(event: Event) -> None:
    """Event hook: the event's incident must have its facts rebuilt."""
    if event.kind not in NO_FACTS_YET:
        insert_rows(
            [StaleIncident(incident_pk=event.incident_id, dues_only=event.kind in DUES_ONLY)]
        )


def mark_stale_many(events: list[Event]) -> None:
    """The same for a list of events (append_events): each incident queued once."""
    whole = {e.incident_id for e in events if e.kind not in _NOT_WHOLE}
    dues = {e.incident_id for e in events if e.kind in DUES_ONLY} - whole
    insert_rows(
        [StaleIncident(incident_pk=pk) for pk in sorted(whole)]
        + [StaleIncident(incident_pk=pk, dues_only=True) for pk in sorted(dues)]
    )


def do_refresh_facts(*, limit: int | None = None, set_based: bool | None = None) -> int:
    """Rebuild the facts of the queued incidents (all of them, or `limit` queue rows); the number
    of queue rows handled. `set_based` (default: on PostgreSQL) writes each batch with one
    statement (facts_sql.refresh_incidents; and facts_sql.refresh_dues for the incidents queued
    for their due moments only), otherwise through `_rebuild` (whole facts for every one)."""
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if set_based:
        from liandong.stats.facts_sql import (  # they read this module
            lock_facts,
            refresh_dues,
            refresh_incidents,
        )
    handled = 0
    while limit is None or handled < limit:
        size = CHUNK if limit is None else min(CHUNK, limit - handled)
        with transaction.atomic():
            queued = list(
                StaleIncident.objects.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "incident_pk", "dues_only")[:size]
            )
            if not queued:
                break
            whole = {incident for _, incident, dues_only in queued if not dues_only}
            dues = {incident for _, incident, dues_only in queued if dues_only} - whole
            if set_based:
                if whole and dues:  # two statements: their facts locked in one order first
                    lock_facts(sorted(whole | dues))
                days = refresh_incidents(sorted(whole)) if whole else set()
                changed_days(days | (refresh_dues(sorted(dues)) if dues else set()))
            else:
                _rebuild({"incident__id__in": sorted(whole | dues)})
            StaleIncident.objects.filter(pk__in=[pk for pk, _, _ in queued]).delete()
        handled += len(queued)
    return handled


def do_rebuild_all_facts(*, chunk: int = 20_000, set_based: bool | None = None) -> int:
    """Rebuild every instruction's fact, incidents in key ranges of `chunk`; the number built.
    `set_based` (default: on PostgreSQL) writes each range with one statement."""
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if set_based:
        # it reads this module's constants
        from liandong.stats.facts_sql import rebuild_range, written_days
    built = 0
    queued = StaleIncident.objects.aggregate(last=Max("pk"))["last"]
    bounds = Instruction.objects.aggregate(first=Min("incident_id"), last=Max("incident_id"))
    if bounds["first"] is not None:
        for low in range(bounds["first"], bounds["last"] + 1, chunk):
            with transaction.atomic():
                if set_based:
                    built += rebuild_range(low, low + chunk - 1)
                    changed_days(written_days(low, low + chunk - 1))
                else:
                    built += _rebuild({"incident__id__range": (low, low + chunk - 1)})
    if queued is not None:  # what was queued before the rebuild began is done
        StaleIncident.objects.filter(pk__lte=queued).delete()
    return built


def _rebuild(incidents: dict[str, Any]) -> int:
    """Replace the facts of the instructions of the incidents chosen by the lookup `incidents`
    (`incident__id__in` or `incident__id__range`); the number written."""
    rows = (
        Instruction.objects.filter(**incidents)
        .values(
            "pk",
            "incident_id",
            "dispatched_at",
            "role",
            "unit_id",
            "tier",
            "level",
            "signed_at",
            "feedback_at",
            "result_at",
            "incident__category_id",
            "incident__street_id",
            "incident__incident_class",
        )
        .order_by()
    )
    instructions: list[dict[str, Any]] = [dict(row) for row in rows]
    _previous(instructions)
    counts = _counts({f"instruction__{lookup}": value for lookup, value in incidents.items()})
    _count_callbacks(instructions, incidents, counts)
    facts = sorted(
        (_fact(row, counts[row["pk"]]) for row in instructions), key=lambda f: f.instruction_id
    )
    # The stored facts, locked in key order (as the upsert locks them): compared under the lock,
    # a change committed meanwhile by another refresh is seen, and its days get new tokens.
    stored = {
        row.pop("pk"): row
        for row in InstructionFact.objects.filter(pk__in=[f.pk for f in facts])
        .select_for_update()
        .order_by("pk")
        .values("pk", *FACT_COLUMNS)
    }
    changed = {
        clock.to_beijing(f.dispatched_at).date()
        for f in facts
        if stored.get(f.pk) != {column: getattr(f, column) for column in FACT_COLUMNS}
    }
    # An upsert in key order: two refreshes of one incident at once wait for each other, never
    # fail or deadlock (instructions are never deleted, so no fact is left behind).
    InstructionFact.objects.bulk_create(
        facts,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["instruction"],
        update_fields=FACT_FIELDS,
    )
    changed_days(changed)  # most events change no figure: those keep the cache
    return len(facts)


def changed_days(days: set[date]) -> None:
    """The facts of instructions dispatched on `days` (Beijing) were written: a new token each,
    in the writer's transaction, so no cached statistic of those days is read again (scan.py).
    In day order, after the facts: two writers wait for each other, never deadlock."""
    FactDay.objects.bulk_create(
        [FactDay(day=day, token=secrets.randbits(62)) for day in sorted(days)],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["token"],
    )


def _previous(instructions: list[dict[str, Any]]) -> None:
    """Each instruction's PREVIOUS moments: the dispatch moment of the incident's latest
    instruction before it (in dispatch order, then key) sharing the column's values, or None."""
    latest: dict[tuple[Any, ...], Any] = {}
    for row in sorted(instructions, key=lambda r: (r["dispatched_at"], r["pk"])):
        for column, shared in PREVIOUS.items():
            key = (column, row["incident_id"], *(row[name] for name in shared))
            row[column] = latest.get(key)
            latest[key] = row["dispatched_at"]


def _counts(of_instructions: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Per instruction chosen by the lookup: its deadlines met and missed per kind and the due
    moments of those still open, its requests and urges."""
    counts: dict[int, dict[str, Any]] = defaultdict(dict)
    deadline_counts: dict[str, Any] = {
        f"{kind}_{outcome}": Count("pk", filter=Q(kind=kind, state=state))
        for kind in KINDS
        for outcome, state in (("met", DeadlineState.MET), ("missed", DeadlineState.MISSED))
    }
    deadline_counts.update(
        {
            f"{kind}_due": Max("due_at", filter=Q(kind=kind, state=DeadlineState.OPEN))
            for kind in KINDS
        }
    )
    sources: list[tuple[Any, dict[str, Any]]] = [(Deadline, deadline_counts), *REQUEST_COUNTS]
    for model, aggregates in sources:
        rows = (
            model._default_manager.filter(**of_instructions)
            .values("instruction_id")
            .annotate(**aggregates)
            .order_by()
        )
        for row in rows:
            counts[row.pop("instruction_id")].update(row)
    return counts


def _count_callbacks(
    instructions: list[dict[str, Any]],
    incidents: dict[str, Any],
    counts: dict[int, dict[str, Any]],
) -> None:
    """Each call-back counts once, for the latest primary instruction dispatched before it
    (a reopening call-back dispatches a new one in the same moment: that one is judged later)."""
    primaries: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for row in instructions:
        if row["role"] == Role.PRIMARY:
            primaries[row["incident_id"]].append((row["dispatched_at"], row["pk"]))
    callbacks = CallBack.objects.filter(**incidents).values_list(
        "incident_id", "created_at", "satisfaction", "reopened"
    )
    for incident, made_at, satisfaction, reopened in callbacks.order_by():
        candidates = sorted(primaries.get(incident, ()))
        if not candidates:
            continue
        before = [pk for moment, pk in candidates if moment < made_at]
        tally = counts[before[-1] if before else candidates[0][1]]
        if satisfaction not in REACHED:
            continue  # not reached: no view to count
        tally["called_back"] = tally.get("called_back", 0) + 1
        tally["satisfied"] = tally.get("satisfied", 0) + (satisfaction in GOOD)
        tally["reopened"] = tally.get("reopened", 0) + bool(reopened)


def _fact(row: dict[str, Any], counts: dict[str, Any]) -> InstructionFact:
    dispatched = row["dispatched_at"]
    minutes = {
        f"{stage}_minutes": (row[moment] - dispatched).total_seconds() / 60
        if row[moment] is not None
        else None
        for stage, moment in STAGES
    }
    return InstructionFact(
        instruction_id=row["pk"],
        incident_id=row["incident_id"],
        dispatched_at=dispatched,
        primary=row["role"] == Role.PRIMARY,
        unit_id=row["unit_id"],
        tier=row["tier"],
        level=row["level"],
        category_id=row["incident__category_id"],
        street_id=row["incident__street_id"],
        incident_class=row["incident__incident_class"] or "",
        **{column: row[column] for column in PREVIOUS},
        **minutes,
        **counts,
    )

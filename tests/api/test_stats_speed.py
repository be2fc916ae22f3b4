"""The statistics' fast path (stats/scan.py, ADR 22) gives the figures the exact definitions give:
distinct incidents from the facts' "previous instruction" moments, "past due and still open" from
their due moments, a cache that is never read after a fact changed, and a cached "past due" count
that follows the clock. On SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Sum

from liandong.incidents import actions
from liandong.incidents.lifecycle import DeadlineState
from liandong.incidents.models import Deadline
from liandong.stats import scan
from liandong.stats.definitions import KINDS
from liandong.stats.facts import do_rebuild_all_facts, do_refresh_facts
from liandong.stats.models import FactDay, InstructionFact, StaleIncident
from liandong.stats.selectors import PATHS, RATE_KEY
from liandong.stats.services import statistics
from tests.api.test_stats import DEC, NOV, history  # noqa: F401 (the fixture)
from tests.factories import declare_holidays, dispatched, instruction_of, unit_user

MONDAY = "2026-11-30T09:00:00+08:00"


def moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def by_hand(start: datetime, end: datetime, by: str, now: datetime) -> dict[Any, dict[str, int]]:
    """Distinct incidents and open deadlines past due per group key (and None: the total),
    counted the plain way: COUNT(DISTINCT) over the facts, the deadline table against `now`."""
    do_refresh_facts()
    key_path, model = PATHS[by]
    facts = InstructionFact.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)
    out: dict[Any, dict[str, int]] = {}
    for row in facts.values(key=F(key_path)).annotate(n=Count("incident", distinct=True)):
        out[row["key"]] = {"incidents": row["n"]}
    total = {"incidents": facts.aggregate(n=Count("incident", distinct=True))["n"]}
    past_due = Deadline.objects.filter(
        instruction__fact__dispatched_at__gte=start,
        instruction__fact__dispatched_at__lt=end,
        state=DeadlineState.OPEN,
        due_at__lt=now,
    )
    missed = {
        row["key"]: row
        for row in facts.values(key=F(key_path)).annotate(
            **{kind: Sum(f"{kind}_missed") for kind in KINDS}
        )
    }
    for kind in KINDS:
        total[kind] = 0
        for key in out:
            late = past_due.filter(kind=kind, **{f"instruction__fact__{key_path}": key}).count()
            out[key][kind] = late + (missed[key][kind] or 0)
            total[kind] += out[key][kind]
    if model is not None:  # keyed by code on the screen
        codes = dict(model._default_manager.values_list("pk", "code"))
        out = {codes.get(key): figures for key, figures in out.items()}
    return {**out, "total": total}


def shown(result: dict) -> dict[Any, dict[str, int]]:
    rows = [*result["rows"], {**result["total"], "key": "total"}]
    return {
        row["key"]: {
            "incidents": row["incidents"],
            **{kind: row[f"{RATE_KEY[kind]}_overdue"] for kind in KINDS},
        }
        for row in rows
    }


PERIODS = [
    (NOV, DEC),
    (DEC, DEC + timedelta(days=31)),  # the reopened incident's new instruction alone
    (NOV, DEC + timedelta(days=31)),  # both of its instructions: counted once
    (moment("2026-11-30T13:00:00+08:00"), DEC),  # not at midnight
]
NOWS = [moment(s) for s in ("2026-11-30T09:10:00+08:00", "2026-12-01T10:00:00+08:00")]


@pytest.mark.parametrize("grouping", list(PATHS))
def test_the_fast_figures_are_the_exact_ones(history, grouping):  # noqa: F811
    for start, end in PERIODS:
        for now in [*NOWS, moment("2026-12-05T12:00:00+08:00")]:  # from the cache, moved on
            expected = by_hand(start, end, grouping, now)
            cached = shown(statistics(start=start, end=end, by=grouping, now=now))
            assert cached == expected, (start, end, now)
            cache.clear()
            assert shown(statistics(start=start, end=end, by=grouping, now=now)) == expected


def test_the_cache_is_read_until_a_fact_changes(db, frozen_at, monkeypatch):
    frozen_at(MONDAY)
    cache.clear()
    incident = dispatched(level=2)
    scans: list[datetime] = []
    real = scan._scan

    def counted(*args: Any) -> Any:
        scans.append(args[-1])
        return real(*args)

    monkeypatch.setattr(scan, "_scan", counted)

    def total(now: str) -> dict:
        return statistics(start=NOV, end=DEC, by="unit", now=moment(now))["total"]

    assert total("2026-11-30T09:10:00+08:00")["sign_overdue"] == 0
    # the 30-minute sign deadlines fall due at 09:30: the cached count follows the clock
    assert total("2026-11-30T09:45:00+08:00")["sign_overdue"] == 2
    assert total("2026-11-30T09:50:00+08:00")["sign_overdue"] == 2
    assert len(scans) == 1
    # an earlier moment than the cached one: scanned again
    assert total("2026-11-30T09:20:00+08:00")["sign_overdue"] == 0
    assert len(scans) == 2

    frozen_at("2026-11-30T09:12:00+08:00")
    actions.do_sign_instruction(
        actor=unit_user("housing"), instruction=instruction_of(incident, "housing")
    )
    figures = total("2026-11-30T09:45:00+08:00")  # the refresh changed a fact: not cached
    assert len(scans) == 3
    assert (figures["sign_overdue"], figures["sign_rate"], figures["sign_minutes"]) == (
        1,
        50.0,
        12.0,
    )


def test_a_calendar_recompute_moves_the_due_moments_the_statistics_count(db, frozen_at):
    from liandong.worker.loop import run_once

    frozen_at(MONDAY)
    cache.clear()
    dispatched(level=2)  # results due at 24:00 Thursday 3 December (three working days)
    friday = moment("2026-12-04T12:00:00+08:00")
    assert statistics(start=NOV, end=DEC, by="unit", now=friday)["total"]["result_overdue"] == 2
    declare_holidays("2026-12-01")
    run_once()  # the worker moves them to 24:00 Friday, and refreshes the facts
    assert {d.due_at for d in Deadline.objects.filter(kind="result")} == {
        moment("2026-12-05T00:00:00+08:00")
    }
    assert statistics(start=NOV, end=DEC, by="unit", now=friday)["total"]["result_overdue"] == 0


def test_every_change_of_facts_gives_their_days_new_tokens(db, frozen_at):
    frozen_at(MONDAY)
    incident = dispatched(level=2)
    do_refresh_facts()
    first = dict(FactDay.objects.values_list("day", "token"))
    assert list(first) == [moment(MONDAY).date()]
    # refreshed again without a change (an event that changes no figure): the cache stays valid
    StaleIncident.objects.create(incident_pk=incident.pk)
    assert do_refresh_facts() == 1
    assert dict(FactDay.objects.values_list("day", "token")) == first
    # a rebuild after facts were changed by hand (the set-based one always gives new tokens)
    InstructionFact.objects.update(urges_city=9)
    do_rebuild_all_facts(set_based=False)
    again = dict(FactDay.objects.values_list("day", "token"))
    assert again.keys() == first.keys() and again != first
    assert set(InstructionFact.objects.values_list("urges_city", flat=True)) == {0}
    if connection.vendor == "postgresql":
        do_rebuild_all_facts(set_based=True)
        assert dict(FactDay.objects.values_list("day", "token")) != again

"""The deadline watch's pure rules (liandong.sla.watch), as tables: which stages fire at a moment,
when the watch looks next, and how pauses move a due time. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from liandong.sla.watch import (
    Stage,
    Watched,
    after_stages,
    due_stages,
    next_moment,
    resumed_due,
    warn_moment,
)

T0 = datetime.fromisoformat("2026-11-30T09:00:00+08:00")
WARN = T0 + timedelta(minutes=8)
DUE = T0 + timedelta(minutes=10)
ESC = timedelta(hours=2)
BASE = Watched(
    running=True,
    warn_at=WARN,
    due_at=DUE,
    warned=False,
    breached=False,
    escalated=False,
    escalate_after=ESC,
)
W, B, E = Stage.WARNING, Stage.BREACH, Stage.ESCALATION


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# (name, the deadline, now in minutes after T0, stages that fire, next moment after them)
CASES = [
    ("before the warning", BASE, 7, [], WARN),
    ("at the warning", BASE, 8, [W], DUE),
    ("between warning and due, warned", replace(BASE, warned=True), 9, [], DUE),
    ("at the due time, warned", replace(BASE, warned=True), 10, [B], DUE + ESC),
    ("caught up after the due time: breach only", BASE, 11, [B], DUE + ESC),
    ("caught up after the escalation moment", BASE, 10 + 121, [B, E], None),
    ("breached, before escalation", replace(BASE, warned=True, breached=True), 60, [], DUE + ESC),
    ("breached, escalation due", replace(BASE, warned=True, breached=True), 130, [E], None),
    ("all stages done", replace(BASE, warned=True, breached=True, escalated=True), 999, [], None),
    ("level without escalation", replace(BASE, escalate_after=None), 200, [B], None),
    ("not running (met)", replace(BASE, running=False), 200, [], None),
    ("paused: nothing fires", replace(BASE, paused=True), 200, [], None),
    ("held: the warning may fire", replace(BASE, held=True), 8, [W], None),
    ("held: no breach", replace(BASE, held=True, warned=True), 200, [], None),
    ("warning moment at the due time: no warning", replace(BASE, warn_at=DUE), 9, [], DUE),
    ("no warning moment", replace(BASE, warn_at=None), 9, [], DUE),
]


@pytest.mark.parametrize(
    ("name", "watched", "minutes", "fires", "after"), CASES, ids=[c[0] for c in CASES]
)
def test_the_watch_fires_each_due_stage_once_and_knows_when_to_look_next(
    name: str, watched: Watched, minutes: float, fires: list[Stage], after: datetime | None
) -> None:
    fired = due_stages(watched, at(minutes))
    assert fired == fires
    left = after_stages(watched, fired)
    assert next_moment(left) == after
    assert due_stages(left, at(minutes)) == []  # never twice


def test_the_next_moment_of_a_fresh_deadline_is_its_warning() -> None:
    assert next_moment(BASE) == WARN


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.0, T0), (0.5, at(5)), (0.8, WARN), (1.0, DUE), (1.5, DUE), (-1, T0)],
)
def test_the_warning_moment_is_the_share_of_the_time(share: float, expected: datetime) -> None:
    assert warn_moment(T0, DUE, share) == expected


@pytest.mark.parametrize(
    ("paused", "resumed", "expected"),
    [
        (at(2), at(12), DUE + timedelta(minutes=10)),  # waited 10 minutes: 10 minutes more
        (at(9), at(9.5), DUE + timedelta(seconds=30)),
        (at(10), at(30), DUE),  # paused at the due time: already passed, stays passed
        (at(11), at(30), DUE),
        (at(5), at(5), DUE),  # no time waited
    ],
)
def test_a_paused_clock_resumes_with_the_waiting_time_added(
    paused: datetime, resumed: datetime, expected: datetime
) -> None:
    assert resumed_due(DUE, paused, resumed) == expected

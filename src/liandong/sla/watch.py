"""The deadline watch as pure rules: which stages of a running deadline are due at a moment, and
when the watch must look at it next. Pure standard library; no Django here.

A running deadline passes through three stages, each at most once:

- **warning** (预警) when a configured share of its time has passed (`warn_at`);
- **breach** (超时) at its due time;
- **escalation** (督办建议) a configured time after the breach, if it is still not done.

Fair clocks (ADR 12): while the instruction waits for the office's decision on the unit's return
request the deadline is *paused* (no stage fires; the waiting time is added to its due time when the
office insists); while an extension request filed before the due time waits for its decision, the
*breach* is *held* (the warning may still fire; a refusal releases it, a grant moves the due time).
A watch that was down catches up: every stage whose moment has passed fires, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    ESCALATION = "escalation"


STAGE_LABELS = {Stage.WARNING: "即将超时", Stage.BREACH: "已超时", Stage.ESCALATION: "建议督办"}


class Audience(StrEnum):
    """Who a stage of the escalation ladder tells."""

    DUTY = "duty"  # the unit's people on duty now (and the unit's inbox)
    LEADERS = "leaders"  # the unit's leaders
    OFFICE = "office"  # the dispatch office
    SUPERVISORS = "supervisors"  # the office's supervisors (督办员)


AUDIENCE_LABELS = {
    Audience.DUTY: "承办单位值班人员",
    Audience.LEADERS: "承办单位主管领导",
    Audience.OFFICE: "区联动办",
    Audience.SUPERVISORS: "区联动办督办员",
}

#: The default ladder (per level, editable by administrators).
DEFAULT_LADDER: dict[Stage, tuple[Audience, ...]] = {
    Stage.WARNING: (Audience.DUTY,),
    Stage.BREACH: (Audience.DUTY, Audience.LEADERS, Audience.OFFICE),
    Stage.ESCALATION: (Audience.SUPERVISORS,),
}
#: Breach + this → the supervisor is asked to issue a formal supervision order (督办).
DEFAULT_ESCALATE_AFTER_MINUTES = {1: 120, 2: 24 * 60}


@dataclass(frozen=True)
class Watched:
    """What the watch knows of one deadline."""

    running: bool  # the clock runs (state open)
    warn_at: datetime | None
    due_at: datetime
    warned: bool
    breached: bool
    escalated: bool
    paused: bool = False
    held: bool = False
    escalate_after: timedelta | None = None  # None: this level does not escalate


#: The columns of a deadline the watch reads (`watched_row`), besides whether it runs.
WATCHED_COLUMNS = (
    "warn_at",
    "due_at",
    "warned_at",
    "overdue_noticed_at",
    "escalated_at",
    "paused_at",
    "held_since",
    "escalate_after_minutes",
)


def watched_row(row: Mapping[str, Any], *, running: bool) -> Watched:
    """What the watch knows of a deadline from its columns (WATCHED_COLUMNS, by name): the
    model's instance and the calendar recompute's rows read alike."""
    minutes = row["escalate_after_minutes"]
    return Watched(
        running=running,
        warn_at=row["warn_at"],
        due_at=row["due_at"],
        warned=row["warned_at"] is not None,
        breached=row["overdue_noticed_at"] is not None,
        escalated=row["escalated_at"] is not None,
        paused=row["paused_at"] is not None,
        held=row["held_since"] is not None,
        escalate_after=timedelta(minutes=minutes) if minutes is not None else None,
    )


def _moments(w: Watched) -> list[tuple[Stage, datetime]]:
    """Each stage not yet done, with the moment it becomes due (None: never, for now)."""
    if not w.running or w.paused:
        return []
    found: list[tuple[Stage, datetime]] = []
    if not w.warned and not w.breached and w.warn_at is not None and w.warn_at < w.due_at:
        found.append((Stage.WARNING, w.warn_at))
    if not w.breached and not w.held:
        found.append((Stage.BREACH, w.due_at))
    if not w.escalated and w.escalate_after is not None and not w.held:
        found.append((Stage.ESCALATION, w.due_at + w.escalate_after))
    return found


def due_stages(w: Watched, now: datetime) -> list[Stage]:
    """The stages that fire now, in order (a warning is not sent after its own breach)."""
    due = [stage for stage, moment in _moments(w) if moment <= now]
    if Stage.BREACH in due and Stage.WARNING in due:
        due.remove(Stage.WARNING)  # caught up after the due time: the breach says it all
    if Stage.ESCALATION in due and not (w.breached or Stage.BREACH in due):
        due.remove(Stage.ESCALATION)
    return due


def next_moment(w: Watched) -> datetime | None:
    """When the watch must look at this deadline next (None: not until something changes)."""
    moments = [moment for _, moment in _moments(w)]
    return min(moments) if moments else None


def after_stages(w: Watched, fired: list[Stage]) -> Watched:
    """The deadline as the watch leaves it once `fired` are recorded."""
    return Watched(
        running=w.running,
        warn_at=w.warn_at,
        due_at=w.due_at,
        warned=w.warned or Stage.WARNING in fired or Stage.BREACH in fired,
        breached=w.breached or Stage.BREACH in fired,
        escalated=w.escalated or Stage.ESCALATION in fired,
        paused=w.paused,
        held=w.held,
        escalate_after=w.escalate_after,
    )


def warn_moment(starts_at: datetime, due_at: datetime, share: float) -> datetime:
    """The moment `share` of the time from start to due has passed."""
    share = min(max(share, 0.0), 1.0)
    return starts_at + (due_at - starts_at) * share


def resumed_due(due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """A paused deadline resumes: the time it waited is added, unless it had already passed when
    the pause began (a breach is never taken back)."""
    if paused_at >= due_at or resumed_at <= paused_at:
        return due_at
    return due_at + (resumed_at - paused_at)

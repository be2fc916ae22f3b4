"""Deadlines: created with an instruction (with their watch settings), completed by the unit's
steps, stopped when the work ends, paused and held by the fair-clock rules. The watch itself is
watch.py; the recompute after a change of the holiday calendar is recompute.py.

Every change of a deadline's state goes through the deadline table (lifecycle.DEADLINE) and every
lock is taken in the one order (locks.py): incident → instruction → deadline."""

from __future__ import annotations

from datetime import datetime

from liandong import clock
from liandong.incidents.actions.kernel import (
    deadline_transition,
)
from liandong.incidents.actions.locks import lock_deadlines_of
from liandong.incidents.lifecycle import DEADLINE
from liandong.incidents.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Instruction,
    Role,
)
from liandong.sla.deadlines import caller_contact_due
from liandong.sla.selectors import (
    LevelWatch,
    cached_limits,
    cached_watch_settings,
    plan_for,
)
from liandong.sla.watch import resumed_due, warn_moment


def _new_deadline(
    instruction: Instruction,
    *,
    kind: str,
    starts_at: datetime,
    amount: int,
    unit: str,
    due: datetime,
    provisional: bool,
    watch: LevelWatch,
) -> Deadline:
    share = watch.share(kind)
    deadline = Deadline(
        instruction=instruction,
        kind=kind,
        starts_at=starts_at,
        limit_amount=amount,
        limit_unit=unit,
        due_at=due,
        original_due_at=due,
        provisional=provisional,
        warn_share=share,
        warn_at=warn_moment(starts_at, due, share),
        escalate_after_minutes=watch.escalate_after_minutes,
    )
    deadline.refresh_watch()
    return deadline


def create_deadlines(instruction: Instruction) -> None:
    """Sign, first feedback and result clocks, all starting at dispatch."""
    Deadline.objects.bulk_create(deadline_rows(instruction))


def deadline_rows(instruction: Instruction) -> list[Deadline]:
    """The sign, first feedback and result clocks of a new instruction, not yet stored (a
    dispatch stores every instruction's clocks in one insert)."""
    limits = cached_limits(instruction.level)
    watch = cached_watch_settings()[instruction.level]
    plan = plan_for(
        level=instruction.level,
        dispatched_at=instruction.dispatched_at,
        tier=instruction.tier,
        role=instruction.role,
    )
    return [
        _new_deadline(
            instruction,
            kind=kind,
            starts_at=instruction.dispatched_at,
            amount=limit.amount,
            unit=limit.unit.value,
            due=due.at,
            provisional=due.provisional,
            watch=watch,
        )
        for kind, due, limit in (
            (DeadlineKind.SIGN, plan.sign, limits.sign),
            (DeadlineKind.FEEDBACK, plan.feedback, limits.feedback),
            (DeadlineKind.RESULT, plan.result, limits.result),
        )
    ]


def start_caller_contact_clock(instruction: Instruction, signed_at: datetime) -> None:
    """A tier-1 primary unit must call the caller within minutes of signing."""
    limits = cached_limits(instruction.level)
    minutes = limits.caller_contact_minutes
    if not (instruction.role == Role.PRIMARY and instruction.tier == 1 and minutes):
        return
    _new_deadline(
        instruction,
        kind=DeadlineKind.CALLER_CONTACT,
        starts_at=signed_at,
        amount=minutes,
        unit="minutes",
        due=caller_contact_due(signed_at, minutes),
        provisional=False,
        watch=cached_watch_settings()[instruction.level],
    ).save()


def _moved_warning(deadline: Deadline, due_at: datetime) -> datetime | None:
    """A deadline moved before its warning: the warning moves with it."""
    if deadline.warned_at is not None:
        return deadline.warn_at
    return warn_moment(deadline.starts_at, due_at, deadline.warn_share)


def complete_deadline(instruction: Instruction, kind: str, at: datetime) -> bool | None:
    """Mark an open deadline as met or missed. Returns `late`, or None if none was open."""
    found = lock_deadlines_of(instruction, kind=kind, state=DeadlineState.OPEN)
    if not found:
        return None
    deadline = found[0]
    late = at > deadline.due_at
    deadline_transition(deadline, "miss" if late else "meet", completed_at=at)
    return late


def stop_deadlines(instruction: Instruction, at: datetime) -> None:
    for deadline in lock_deadlines_of(instruction, state=DeadlineState.OPEN):
        deadline_transition(deadline, "stop", stopped_at=at)


def reopen_result_deadline(instruction: Instruction) -> dict[str, str | None]:
    """A result sent back: its clock runs again. Returns the deadline's state before."""
    result = lock_deadlines_of(instruction, kind=DeadlineKind.RESULT)[0]
    before = {"state": str(result.state), "completed_at": clock.iso(result.completed_at)}
    if result.state != DeadlineState.OPEN:
        deadline_transition(result, "reopen", completed_at=None)
    return before


def extend_result_deadline(instruction: Instruction, *, due_at: datetime, at: datetime) -> Deadline:
    """A granted extension moves the result deadline (the original kept). A result already given
    is judged again against the new time."""
    result = lock_deadlines_of(instruction, kind=DeadlineKind.RESULT)[0]
    deadline_transition(
        result,
        "extend",
        due_at=due_at,
        warn_at=_moved_warning(result, due_at),
        provisional=False,
        extended_at=at,
        held_since=None,
    )
    if result.completed_at is not None:
        regrade = "regrade_missed" if result.completed_at > due_at else "regrade_met"
        deadline_transition(result, regrade)
    return result


def pause_clocks(instruction: Instruction, at: datetime) -> None:
    """A return request waits for the office: the instruction's running clocks stop counting."""
    for deadline in lock_deadlines_of(instruction, state=DeadlineState.OPEN, paused_at=None):
        deadline_transition(deadline, "pause", paused_at=at)


def resume_clocks(instruction: Instruction, at: datetime) -> None:
    """The office kept the instruction with the unit: the waiting time is added to each clock
    (one that had passed before the pause stays passed)."""
    for deadline in lock_deadlines_of(instruction, state=DeadlineState.OPEN):
        if deadline.paused_at is None:
            continue
        paused_at = deadline.paused_at
        due = resumed_due(deadline.due_at, paused_at, at)
        shift = due - deadline.due_at
        deadline_transition(
            deadline,
            "resume",
            due_at=due,
            warn_at=deadline.warn_at + shift
            if deadline.warn_at and not deadline.warned_at
            else deadline.warn_at,
            paused_at=None,
            paused_seconds=deadline.paused_seconds + int((at - paused_at).total_seconds()),
        )


def hold_result_breach(instruction: Instruction, at: datetime) -> None:
    """An extension asked for before the due time: no breach until it is decided."""
    for deadline in lock_deadlines_of(
        instruction, kind=DeadlineKind.RESULT, state=DeadlineState.OPEN
    ):
        if deadline.due_at > at and deadline.held_since is None:
            deadline_transition(deadline, "hold", held_since=at)


def release_result_breach(instruction: Instruction) -> None:
    """The extension was refused (or withdrawn): a passed due time breaches now."""
    for deadline in lock_deadlines_of(instruction, kind=DeadlineKind.RESULT):
        # a stopped clock (the instruction ended) has nothing left to release
        if deadline.held_since is not None and DEADLINE.allows(deadline.state, "release"):
            deadline_transition(deadline, "release", held_since=None)

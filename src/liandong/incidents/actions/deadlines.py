"""Deadlines: created with an instruction, completed by the unit's steps, stopped when the work
ends, noticed when they pass (the watch), moved when the holiday calendar changes.

Every change of a deadline's state goes through the deadline table (lifecycle.DEADLINE) and every
lock is taken in the one order (locks.py): incident → instruction → deadline."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from liandong import clock
from liandong.incidents.actions.kernel import (
    append_event,
    deadline_transition,
    iso,
    notify,
    office_unit,
)
from liandong.incidents.actions.locks import lock_deadline, lock_deadlines_of
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import DEADLINE
from liandong.incidents.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Instruction,
    Role,
)
from liandong.sla.deadlines import Limit, LimitUnit, caller_contact_due, due_after
from liandong.sla.selectors import limits_for_level, load_calendar, plan_for


def create_deadlines(instruction: Instruction) -> None:
    """Sign, first feedback and result clocks, all starting at dispatch."""
    limits = limits_for_level(instruction.level)
    plan = plan_for(
        level=instruction.level,
        dispatched_at=instruction.dispatched_at,
        tier=instruction.tier,
        role=instruction.role,
    )
    Deadline.objects.bulk_create(
        Deadline(
            instruction=instruction,
            kind=kind,
            starts_at=instruction.dispatched_at,
            limit_amount=limit.amount,
            limit_unit=limit.unit.value,
            due_at=due.at,
            original_due_at=due.at,
            provisional=due.provisional,
        )
        for kind, due, limit in (
            (DeadlineKind.SIGN, plan.sign, limits.sign),
            (DeadlineKind.FEEDBACK, plan.feedback, limits.feedback),
            (DeadlineKind.RESULT, plan.result, limits.result),
        )
    )


def start_caller_contact_clock(instruction: Instruction, signed_at: datetime) -> None:
    """A tier-1 primary unit must call the caller within minutes of signing."""
    limits = limits_for_level(instruction.level)
    if not (
        instruction.role == Role.PRIMARY and instruction.tier == 1 and limits.caller_contact_minutes
    ):
        return
    due = caller_contact_due(signed_at, limits.caller_contact_minutes)
    Deadline.objects.create(
        instruction=instruction,
        kind=DeadlineKind.CALLER_CONTACT,
        starts_at=signed_at,
        limit_amount=limits.caller_contact_minutes,
        limit_unit="minutes",
        due_at=due,
        original_due_at=due,
    )


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
        result, "extend", due_at=due_at, provisional=False, extended_at=at, overdue_noticed_at=None
    )
    if result.completed_at is not None:
        regrade = "regrade_missed" if result.completed_at > due_at else "regrade_met"
        deadline_transition(result, regrade)
    return result


@transaction.atomic
def do_recompute_deadline(*, deadline: Deadline, due_at: datetime, provisional: bool) -> None:
    """Move a working-day deadline after the holiday calendar changed."""
    instruction, locked = lock_deadline(deadline)
    if not DEADLINE.allows(locked.state, "recompute"):
        return
    before = {"due_at": iso(locked.due_at), "provisional": locked.provisional}
    deadline_transition(
        locked, "recompute", due_at=due_at, original_due_at=due_at, provisional=provisional
    )
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.DEADLINE_RECOMPUTED,
        summary=f"节假日安排更新，{instruction.unit.name}{locked.get_kind_display()}时限重新计算",
        actor=None,
        before=before,
        after={"due_at": iso(due_at), "provisional": provisional},
    )


def recompute_working_day_deadlines() -> int:
    """Recompute open deadlines counted in working days (the calendar hook). Returns how many
    changed."""
    calendar = load_calendar()
    changed = 0
    open_rows = Deadline.objects.filter(
        state=DeadlineState.OPEN, limit_unit=LimitUnit.WORKING_DAYS.value, extended_at=None
    ).order_by("pk")
    for deadline in open_rows:
        due = due_after(
            deadline.starts_at, Limit(deadline.limit_amount, LimitUnit.WORKING_DAYS), calendar
        )
        if due.at != deadline.due_at or due.provisional != deadline.provisional:
            do_recompute_deadline(deadline=deadline, due_at=due.at, provisional=due.provisional)
            changed += 1
    return changed


@transaction.atomic
def do_note_overdue(*, deadline: Deadline) -> bool:
    """Worker: record once that an open deadline has passed, and tell the unit and the office."""
    now = clock.now()
    instruction, locked = lock_deadline(deadline)
    if (
        not DEADLINE.allows(locked.state, "notice_overdue")
        or locked.overdue_noticed_at
        or locked.due_at > now
    ):
        return False
    deadline_transition(locked, "notice_overdue", overdue_noticed_at=now)
    incident = instruction.incident
    text = f"{instruction.unit.name}{locked.get_kind_display()}已超时（警情{incident.incident_id}）"
    append_event(
        incident=incident,
        instruction=instruction,
        kind=EventKind.DEADLINE_OVERDUE,
        summary=text,
        actor=None,
        data={"kind": locked.kind, "due_at": iso(locked.due_at)},
    )
    for unit in (instruction.unit, office_unit()):
        notify(unit=unit, incident=incident, instruction=instruction, kind="overdue", text=text)
    return True

"""The calendar recompute: an edit of the holiday arrangement writes a job (sla.services,
`CalendarRecompute`) in its own transaction; the worker then moves the open deadlines counted in
working days, in chunks, here.

A chunk is one transaction: take the newest unfinished job (SKIP LOCKED: one worker per job at a
time, the others go on with their other work), read the next `size` open working-day deadlines
after the job's cursor in id order, compute their due moments with the calendar as committed now
(sla/recompute.py, pure), and for those that move: lock their incidents, then instructions, then
the deadlines (the one lock order, locks.py; waiting, not skipping, since the cursor moves past
them), recheck each against the deadline table, write the new moments in one statement and one
`deadline_recomputed` event each in one multi-row insert, and advance the cursor. A killed worker's
chunk rolls back whole and the next chunk starts at the cursor; a deadline already right is not
touched, so doing a chunk again changes nothing. A deadline created after the edit has a higher
id, so the walk reaches it; since other processes plan deadlines with their copy of the calendar
for up to SETTINGS_SECONDS (sla/selectors.py), the job stays open that long after the edit and
looks again at the rows after its cursor before it is done.

Set-based like the watch: a chunk costs about ten statements whatever its size (the read, three
locks, one UPDATE … FROM unnest(arrays), one multi-row insert each for the events and their audit
entries, the job's row); the Python per deadline is the comparison, and for a moved one its
event and audit entry. One worker is on a job at a time (the job's row is locked for the chunk);
another worker goes on with its other tasks."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL

from liandong import clock
from liandong.incidents.actions.kernel import append_events, iso
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import DEADLINE
from liandong.incidents.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    Incident,
    Instruction,
)
from liandong.sla.deadlines import Due, LimitUnit
from liandong.sla.models import CalendarRecompute
from liandong.sla.recompute import moved_dues
from liandong.sla.selectors import SETTINGS_SECONDS, load_calendar
from liandong.sla.services import UNFINISHED, advance_recompute_job, take_recompute_job
from liandong.sla.watch import warn_moment

#: Deadlines per chunk (one transaction).
CHUNK = 5000
MOVED_COLUMNS = ["due_at", "original_due_at", "warn_at", "provisional", "watch_at"]


def working_day_deadlines() -> QuerySet[Deadline]:
    """The open deadlines a calendar change can move (not yet met, stopped or extended)."""
    return Deadline.objects.filter(
        state=DeadlineState.OPEN, limit_unit=LimitUnit.WORKING_DAYS.value, extended_at=None
    )


def count_working_day_deadlines() -> int:
    """The calendar hook (sla.services): how many deadlines the edit's job will look at."""
    return working_day_deadlines().count()


def do_recompute_chunk(*, size: int = CHUNK) -> int:
    """One chunk of the newest recompute job; how many deadlines it looked at (0: no job to do,
    or another worker is on it)."""
    with transaction.atomic():
        job = take_recompute_job()
        if job is None:
            return 0
        rows = list(
            working_day_deadlines()
            .filter(pk__gt=job.cursor)
            .order_by("pk")
            .values_list("pk", "starts_at", "limit_amount", "due_at", "provisional")[:size]
        )
        dues = moved_dues(rows, load_calendar())
        moved = _move(dues) if dues else 0
        # Other processes plan new deadlines with their copy of the calendar for up to
        # SETTINGS_SECONDS after the edit: until then the job stays open and looks again at the
        # deadlines created meanwhile (the rows after its cursor).
        settled = clock.now() >= job.requested_at + timedelta(seconds=SETTINGS_SECONDS)
        advance_recompute_job(
            job,
            cursor=rows[-1][0] if rows else job.cursor,
            looked=len(rows),
            moved=moved,
            finished=len(rows) < size and settled,
        )
    return len(rows)


def recompute_for_a_while(*, seconds: float = 1.0, size: int = CHUNK) -> int:
    """Chunks for about `seconds` (the worker's share of a round, so the watch keeps its pace)."""
    total = 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        looked = do_recompute_chunk(size=size)
        total += looked
        if looked < size:
            break
    return total


def recompute_until_done(*, size: int = CHUNK) -> int:
    """Walk the newest job to the last open deadline (`liandong import_calendar`, tests): how
    many were looked at. The job stays open for the worker until SETTINGS_SECONDS after the edit
    (see above); 0 when another worker is on it."""
    total = 0
    while (looked := do_recompute_chunk(size=size)) == size:
        total += looked
    return total + looked


def recompute_waiting() -> bool:
    """A job has deadlines counted at its edit still to do and no other worker is on it right
    now: this worker then does not pause between rounds (once they are done, the job's last
    look at the new rows comes at the rounds' pace)."""
    with transaction.atomic():
        return (
            CalendarRecompute.objects.filter(state__in=UNFINISHED, done__lt=F("total"))
            .select_for_update(skip_locked=True)
            .exists()
        )


def _any_of(pks: list[int]) -> Any:
    """The right side of `pk__in` for thousands of ids: one array parameter on PostgreSQL
    (instead of one parameter per id), the list elsewhere."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (pks,))
    return pks


def _lock_moving(pks: list[int]) -> list[Deadline]:
    """Incidents → instructions → deadlines, in the one order, in ascending keys; only rows the
    calendar can still move. Waits for a person acting on an incident (a short transaction)."""
    ids = _any_of(pks)
    owners = Instruction.objects.filter(deadlines__pk__in=ids)
    list(
        Incident.objects.select_for_update()
        .filter(pk__in=owners.values("incident_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Instruction.objects.select_for_update()
        .filter(pk__in=owners.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(
        working_day_deadlines()
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .annotate(incident_pk=F("instruction__incident_id"), unit_name=F("instruction__unit__name"))
        .order_by("pk")
    )


def _move(dues: dict[int, Due]) -> int:
    """Move the deadlines of `dues` (id → new due) still open; write their events. How many."""
    now = clock.now()
    moved: list[Deadline] = []
    events: list[Event] = []
    for deadline in _lock_moving(sorted(dues)):
        due = dues[deadline.pk]
        if not DEADLINE.allows(deadline.state, "recompute"):
            continue
        before = {"due_at": iso(deadline.due_at), "provisional": deadline.provisional}
        deadline.state = DEADLINE.next_state(deadline.state, "recompute")
        deadline.due_at = deadline.original_due_at = due.at
        deadline.provisional = due.provisional
        if deadline.warned_at is None:  # a warning not yet given moves with the deadline
            deadline.warn_at = warn_moment(deadline.starts_at, due.at, deadline.warn_share)
        deadline.refresh_watch()
        moved.append(deadline)
        events.append(
            Event(
                incident_id=deadline.incident_pk,  # type: ignore[attr-defined]
                instruction_id=deadline.instruction_id,
                kind=EventKind.DEADLINE_RECOMPUTED,
                summary=f"节假日安排更新，{deadline.unit_name}"  # type: ignore[attr-defined]
                f"{DeadlineKind(deadline.kind).label}时限重新计算",
                actor_label="系统",
                occurred_at=now,
                before=before,
                after={"due_at": iso(due.at), "provisional": due.provisional},
            )
        )
    if moved:
        _store_moved(moved)
        append_events(events)
    return len(moved)


def _store_moved(deadlines: list[Deadline]) -> None:
    """The new moments in one statement (PostgreSQL: UPDATE … FROM the rows of five arrays, a
    handful of parameters however many rows; elsewhere Django's bulk update)."""
    if connection.vendor != "postgresql":
        Deadline.objects.bulk_update(deadlines, MOVED_COLUMNS)
        return
    columns = (
        [d.pk for d in deadlines],
        [d.due_at for d in deadlines],
        [d.warn_at for d in deadlines],
        [d.provisional for d in deadlines],
        [d.watch_at for d in deadlines],
    )
    table = Deadline._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET due_at = v.due, original_due_at = v.due,"  # noqa: S608
            " warn_at = v.warn, provisional = v.provisional, watch_at = v.watch"
            " FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::boolean[],"
            " %s::timestamptz[]) AS v(id, due, warn, provisional, watch) WHERE d.id = v.id",
            columns,
        )

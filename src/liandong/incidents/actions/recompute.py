"""The calendar recompute: an edit of the holiday arrangement writes a job (sla.services,
`CalendarRecompute`) in its own transaction; the workers then move the open deadlines counted in
working days, in chunks, here.

A job is split into chunks (`RecomputeChunk`, id ranges of `size` open working-day deadlines)
by whichever worker finds no chunk free: it locks the job's row (SKIP LOCKED: one splitter at a
time), writes the chunk rows for every deadline after the job's cursor and moves the cursor, and
commits. A chunk is then one transaction of any worker: take a chunk row no other worker holds
(SKIP LOCKED), read its open deadlines, compute their due moments with the calendar as
committed now (sla/recompute.py, pure), and for those that move: lock their incidents (the
first level of the one lock order, locks.py; every writer of a deadline holds its incident, so
the deadlines need no lock of their own), read them again under those locks and recheck each,
write the new moments in one statement and one `deadline_recomputed` event each in one
multi-row insert, delete the chunk row and add its counts to the job. Several workers
work on one job at once: an incident held by someone else (a person acting on it, or another
worker whose chunk shares it) is skipped rather than waited for (SKIP LOCKED), and its deadlines
go into a new chunk of their own for later. A killed worker's chunk rolls back whole and its row
is taken again; a deadline already right is not touched, so doing a chunk again changes
nothing. A deadline created after the edit has a higher id, so the next split reaches it; since
other processes plan deadlines with their copy of the calendar for up to SETTINGS_SECONDS
(sla/selectors.py), the job stays open that long after the edit and looks again at the rows
after its cursor before it is done.

Set-based like the watch: a chunk costs about ten statements whatever its size (the read with
the incidents' keys, the incidents' lock, the read under it, one UPDATE … FROM json_to_recordset,
one multi-row insert each for the events and their audit entries, the chunk's and the job's
rows); the Python per deadline is the comparison, and for a moved one its event and the digest
of its row in the audit entry."""

from __future__ import annotations

import functools
import json
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from liandong import clock
from liandong.incidents.actions.kernel import append_events
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import DEADLINE
from liandong.incidents.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    Incident,
)
from liandong.sla.deadlines import Due, LimitUnit
from liandong.sla.models import CalendarRecompute, RecomputeChunk
from liandong.sla.recompute import moved_dues
from liandong.sla.selectors import SETTINGS_SECONDS, load_calendar
from liandong.sla.services import (
    UNFINISHED,
    advance_recompute_job,
    newest_recompute_job,
    split_recompute_job,
    take_recompute_job,
)
from liandong.sla.watch import WATCHED_COLUMNS, next_moment, warn_moment, watched_row

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
    """One chunk of the newest recompute job: a chunk no other worker holds, or, when there is
    none, the deadlines after the job's cursor split into new chunks first (or the job closed
    once it is walked). How many deadlines it looked at (0: nothing to do now)."""
    job = newest_recompute_job()
    if job is None:
        return 0
    looked = _do_one_chunk(job.pk)
    if looked is None:
        split = _split(size)
        looked = _do_one_chunk(split) if split is not None else None
    return looked or 0


def recompute_for_a_while(*, seconds: float = 1.0, size: int = CHUNK) -> int:
    """Chunks for about `seconds` (the worker's share of a round, so the watch keeps its pace)."""
    total = 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        looked = do_recompute_chunk(size=size)
        total += looked
        if not looked:
            break
    return total


def recompute_until_done(*, size: int = CHUNK) -> int:
    """Walk the newest job to the last open deadline (`liandong import_calendar`, tests): how
    many were looked at. The job stays open for the worker until SETTINGS_SECONDS after the edit
    (see above), and while chunks held by other workers are not done."""
    total = 0
    while looked := do_recompute_chunk(size=size):
        total += looked
    return total


def _split(size: int) -> int | None:
    """Split the newest job's deadlines after its cursor into chunks of `size`: the job's key, or
    None when there was nothing to split (the job then closed if it is walked) or another
    worker is splitting it."""
    with transaction.atomic():
        job = take_recompute_job()
        if job is None:
            return None
        bounds = _bounds(working_day_deadlines().filter(pk__gt=job.cursor), size)
        if bounds:
            split_recompute_job(job, bounds=bounds)
            return job.pk
        if _walked(job):
            advance_recompute_job(job, looked=0, moved=0, finished=True)
        return None


def _bounds(deadlines: QuerySet[Deadline], size: int) -> list[int]:
    """The last key of each run of `size` deadlines in key order, and the very last key: counted
    by the database (a window over the keys), not read into Python one by one."""
    numbered = deadlines.annotate(n=Window(RowNumber(), order_by=F("pk").asc()))
    every = numbered.annotate(m=F("n") % size).filter(m=0).order_by("pk")
    bounds = list(every.values_list("pk", flat=True))
    last = deadlines.aggregate(last=Max("pk"))["last"]
    if last is not None and (not bounds or bounds[-1] != last):
        bounds.append(last)
    return bounds


def _walked(job: CalendarRecompute) -> bool:
    """Every chunk done (in this transaction's view), nothing after the cursor, and the other
    processes' copies of the calendar expired: the job is done."""
    return (
        clock.now() >= job.requested_at + timedelta(seconds=SETTINGS_SECONDS)
        and not RecomputeChunk.objects.filter(job=job).exists()
        and not working_day_deadlines().filter(pk__gt=job.cursor).exists()
    )


def _do_one_chunk(job_pk: int) -> int | None:
    """Take one chunk of the job no other worker holds and do it; how many deadlines it looked
    at, or None when every chunk is held or none is left."""
    with transaction.atomic():
        chunk = (
            RecomputeChunk.objects.select_for_update(skip_locked=True)
            .filter(job_id=job_pk)
            .order_by("pk")
            .first()
        )
        if chunk is None:
            return None
        deadlines = working_day_deadlines()
        if chunk.ids:
            deadlines = deadlines.filter(pk__in=_any_of(chunk.ids))
        else:
            deadlines = deadlines.filter(pk__gt=chunk.after, pk__lte=chunk.through)
        rows = list(
            deadlines.order_by("pk").values_list(
                "pk",
                "starts_at",
                "limit_amount",
                "due_at",
                "provisional",
                "instruction__incident_id",
            )
        )
        dues = moved_dues((row[:5] for row in rows), load_calendar())
        moved, left = _move(dues, {row[0]: row[5] for row in rows}) if dues else (0, [])
        if left:
            RecomputeChunk.objects.create(job_id=job_pk, ids=left)
        chunk.delete()
        job = CalendarRecompute.objects.get(pk=job_pk)
        advance_recompute_job(
            job, looked=len(rows) - len(left), moved=moved, finished=not left and _walked(job)
        )
    return len(rows) - len(left)


def recompute_waiting() -> bool:
    """A job has deadlines counted at its edit still to do (and no worker is splitting it right
    now): this worker then does not pause between rounds (once they are done, the job's last
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


#: What the recompute reads of a deadline it moves, under its incident's lock.
MOVING_COLUMNS = (
    "pk",
    "instruction_id",
    "kind",
    "state",
    "starts_at",
    "provisional",
    "warn_share",
    *WATCHED_COLUMNS,
)
#: A moved deadline's new values, in the order _store_moved writes them: key, due moment, warning
#: moment, provisional, the watch's next moment.
Moved = tuple[int, datetime, datetime | None, bool, datetime | None]


def _lock_moving(incident_of: dict[int, int]) -> tuple[list[dict[str, Any]], list[int]]:
    """Lock the incidents of the deadlines of `incident_of` (deadline → its incident's key; an
    instruction never changes incident, so the key read before any lock is right), in ascending
    keys, SKIP LOCKED; then read those deadlines the calendar can still move. Every writer of a
    deadline holds its incident first (locks.py), so what is read under these locks is as
    committed and stays so until this transaction ends: the deadlines need no row lock of their
    own (nor the instructions, which the recompute does not change). The second list is the
    deadlines left for later: their incident was held by someone else."""
    held = set(
        Incident.objects.select_for_update(skip_locked=True)
        .filter(pk__in=_any_of(sorted(set(incident_of.values()))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    left = [pk for pk, incident in incident_of.items() if incident not in held]
    taken = [pk for pk, incident in incident_of.items() if incident in held]
    locked = list(
        working_day_deadlines()
        .filter(pk__in=_any_of(taken))
        .order_by("pk")
        .values(*MOVING_COLUMNS, unit_name=F("instruction__unit__name"))
    )
    return locked, left


def _move(dues: dict[int, Due], incident_of: dict[int, int]) -> tuple[int, list[int]]:
    """Move the deadlines of `dues` (id → new due) still open; write their events. How many, and
    the deadlines left for later (their incident was held by someone else)."""
    now = clock.now()
    moved: list[Moved] = []
    events: list[Event] = []
    labels = dict(DeadlineKind.choices)
    locked, left = _lock_moving({pk: incident_of[pk] for pk in sorted(dues)})
    for row in locked:
        pk = row["pk"]
        due = dues[pk]
        if not DEADLINE.allows(row["state"], "recompute"):
            continue
        state = DEADLINE.next_state(row["state"], "recompute")
        before = {"due_at": _shared_iso(row["due_at"]), "provisional": row["provisional"]}
        row["due_at"] = due.at
        if row["warned_at"] is None:  # a warning not yet given moves with the deadline
            row["warn_at"] = warn_moment(row["starts_at"], due.at, row["warn_share"])
        watch_at = next_moment(watched_row(row, running=state == DeadlineState.OPEN))
        moved.append((pk, due.at, row["warn_at"], due.provisional, watch_at))
        events.append(
            Event(
                incident_id=incident_of[pk],
                instruction_id=row["instruction_id"],
                kind=EventKind.DEADLINE_RECOMPUTED,
                summary=f"节假日安排更新，{row['unit_name']}{labels[row['kind']]}时限重新计算",
                actor_label="系统",
                occurred_at=now,
                before=before,
                after={"due_at": _shared_iso(due.at), "provisional": due.provisional},
            )
        )
    if moved:
        _store_moved(moved)
        append_events(events)
    return len(moved), left


@functools.lru_cache(maxsize=1024)
def _shared_iso(moment: datetime) -> str:
    """clock.iso of a due moment: a chunk's thousands of deadlines share a few dozen (they are
    computed per start day and number of working days), so each is written once."""
    return clock.iso(moment) or ""


def _store_moved(deadlines: list[Moved]) -> None:
    """The new moments in one statement (PostgreSQL: UPDATE … FROM the rows of one JSON
    parameter, whose text Python writes several times faster than psycopg dumps five arrays
    of moments; elsewhere Django's bulk update)."""
    if connection.vendor != "postgresql":
        Deadline.objects.bulk_update(
            [
                Deadline(
                    pk=pk,
                    due_at=due,
                    original_due_at=due,
                    warn_at=warn,
                    provisional=provisional,
                    watch_at=watch,
                )
                for pk, due, warn, provisional, watch in deadlines
            ],
            MOVED_COLUMNS,
        )
        return
    rows = json.dumps(
        [
            {
                "id": pk,
                "due": _shared_iso(due),
                "warn": clock.iso(warn),
                "provisional": provisional,
                "watch": clock.iso(watch),
            }
            for pk, due, warn, provisional, watch in deadlines
        ]
    )
    table = Deadline._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET due_at = v.due, original_due_at = v.due,"  # noqa: S608
            " warn_at = v.warn, provisional = v.provisional, watch_at = v.watch"
            " FROM json_to_recordset(%s::json) AS v(id bigint, due timestamptz,"
            " warn timestamptz, provisional boolean, watch timestamptz) WHERE d.id = v.id",
            [rows],
        )

"""The one lock order (incident → instruction → request → deadline) under forced interleavings of
the deadline watch with a unit's sign, the office's accept and a calendar recompute, on real
concurrent PostgreSQL connections.

Each test makes the worst interleavings happen on purpose instead of hoping for them, with a third
connection holding a row: either the person's request holds the incident first (the watch then
skips that incident at once, SKIP LOCKED, and takes it in its next round), or the watch holds the
incident first (the request queues behind it). With the watch taking the deadline before the
incident (as it once did) the first order ended in `deadlock detected` and a 500; now every
order finishes, the request answers 2xx, and each stage is recorded at most once. A calendar
recompute never waits for an incident at all: it leaves a held incident's deadlines for later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

from liandong import clock
from liandong.accounts.models import Role
from liandong.incidents import actions
from liandong.incidents.actions.recompute import do_recompute_chunk, recompute_until_done
from liandong.incidents.models import Deadline, Event, Instruction
from liandong.sla.models import CalendarRecompute
from liandong.worker.loop import sweep_overdue_deadlines
from tests.factories import Api, UserFactory, dispatched, instruction_of, office_user, unit_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DISPATCHED_AT = datetime.fromisoformat("2026-11-30T09:00:00+08:00")  # a Monday


def _dsn() -> str:
    s = connection.settings_dict
    return (
        f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} dbname={s['NAME']} "
        f"user={s['USER'] or 'postgres'}" + (f" password={s['PASSWORD']}" if s["PASSWORD"] else "")
    )


@contextmanager
def row_held(table: str, pk: int) -> Iterator[Callable[[], None]]:
    """A third connection holding one row's lock until `release()` is called."""
    conn = psycopg.connect(_dsn())
    conn.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            conn.commit()
            released = True

    try:
        yield release
    finally:
        release()
        conn.close()


def waiting_for_locks() -> int:
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


def wait_until_waiting(n: int) -> None:
    deadline = time.monotonic() + 15
    while waiting_for_locks() < n:
        assert time.monotonic() < deadline, f"expected {n} sessions waiting for a lock"
        time.sleep(0.02)


class Runner(threading.Thread):
    """Runs `call` on its own database connection and keeps its result or exception."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            connections.close_all()


MODES = ["request_first", "watch_first"]


def finishes_without_waiting(call: Callable[[], Any], what: str) -> Runner:
    """Run `call` on its own connection; it must be done within 10 s, without an error (a held
    row is skipped, not waited for)."""
    runner = Runner(call)
    runner.start()
    runner.join(10)
    assert not runner.is_alive(), f"{what} waited for a held row"
    assert runner.error is None, repr(runner.error)
    return runner


def interleave(
    mode: str, incident_pk: int, instruction_pk: int, user_request: Callable[[], Any]
) -> Runner:
    """Force one of the two orders, then let both finish; returns the request's runner.

    request_first: a third connection holds the incident; the request queues on it; the watch
    starts and, finding the incident taken, skips it at once (SKIP LOCKED) instead of waiting;
    after the release the request finishes and the watch's next round does what is left.
    watch_first: the third connection holds the instruction; the watch takes the incident and
    queues on the instruction; the request queues on the incident behind the watch; then both go.
    """
    if mode == "request_first":
        with row_held("incidents_incident", incident_pk) as release:
            request = Runner(user_request)
            request.start()
            wait_until_waiting(1)
            watch = finishes_without_waiting(sweep_overdue_deadlines, "the watch")
            assert watch.result == 0, watch.result
            release()
            request.join(30)
    else:
        with row_held("incidents_instruction", instruction_pk) as release:
            watch = Runner(sweep_overdue_deadlines)
            watch.start()
            wait_until_waiting(1)
            request = Runner(user_request)
            request.start()
            wait_until_waiting(2)
            release()
            watch.join(30)
            request.join(30)
        assert not watch.is_alive() and watch.error is None, repr(watch.error)
    assert not request.is_alive()
    assert request.error is None, repr(request.error)
    again = Runner(sweep_overdue_deadlines)
    again.start()
    again.join(30)
    assert again.error is None, repr(again.error)
    return request


def assert_each_stage_once(instruction_pk: int) -> None:
    """Every stage event matches its stamp on the deadline, and none is doubled."""
    for d in Deadline.objects.filter(instruction_id=instruction_pk):
        for kind, stamp in (
            ("deadline_warning", d.warned_at),
            ("deadline_overdue", d.overdue_noticed_at),
            ("supervision_proposed", d.escalated_at),
        ):
            events = Event.objects.filter(instruction_id=instruction_pk, kind=kind)
            count = sum(1 for e in events if e.data.get("kind") == d.kind)
            assert count <= 1, (d.kind, kind, count)
            if kind != "deadline_warning":
                assert count == (1 if stamp else 0), (d.kind, kind, count, stamp)


@pytest.mark.parametrize("mode", MODES)
def test_the_watch_and_a_late_sign_of_the_same_deadline_never_deadlock(mode: str) -> None:
    with clock.frozen(DISPATCHED_AT):
        incident = dispatched(
            level=1,
            incident_class="source_diversion",
            category="noise",
            primary="ecology",
            cooperating=(),
        )
        inst = instruction_of(incident, "ecology")
        officer = Api(unit_user("ecology"))
        clock.advance(timedelta(minutes=11))  # the 10-minute sign deadline has passed

        request = interleave(
            mode,
            incident.pk,
            inst.pk,
            lambda: officer.post(f"/instructions/{inst.pk}/sign").status_code,
        )

        assert request.result == 200
        sign = Deadline.objects.get(instruction=inst, kind="sign")
        assert sign.state == "missed"
        assert Event.objects.filter(instruction=inst, kind="signed").count() == 1
        # the watch noticed the breach only if it came first; never twice
        assert (sign.overdue_noticed_at is not None) == (mode == "watch_first")
        assert_each_stage_once(inst.pk)


@pytest.mark.parametrize("mode", MODES)
def test_the_watch_and_the_office_accepting_on_the_same_incident_never_deadlock(mode: str) -> None:
    with clock.frozen(DISPATCHED_AT):
        incident = dispatched(level=1)  # housing primary, urban-constr cooperating
        coop = instruction_of(incident, "urban-constr")
        primary = instruction_of(incident, "housing")
        officer = unit_user("urban-constr")
        actions.do_sign_instruction(actor=officer, instruction=coop)
        actions.do_report_result(
            actor=officer,
            instruction=Instruction.objects.get(pk=coop.pk),
            outcome="resolved",
            text="已处理",
        )
        office = Api(office_user())
        clock.advance(timedelta(minutes=11))  # the primary's sign deadline has passed

        request = interleave(
            mode,
            incident.pk,
            primary.pk,
            lambda: office.post(f"/instructions/{coop.pk}/accept-result").status_code,
        )

        assert request.result == 200
        assert Instruction.objects.get(pk=coop.pk).state == "done"
        assert Event.objects.filter(instruction=primary, kind="deadline_overdue").count() == 1
        assert_each_stage_once(primary.pk)


@pytest.mark.parametrize("holder", ["a_person", "the_watch"])
def test_a_calendar_recompute_skips_a_held_incident_and_moves_its_deadline_afterwards(
    holder: str,
) -> None:
    """The recompute never waits for an incident (SKIP LOCKED, so several workers share a job):
    held by a person's request or by the watch, the incident's deadlines go into a chunk of
    their own, which a later chunk moves once it is free."""
    with clock.frozen(DISPATCHED_AT):
        incident = dispatched(
            level=2,
            incident_class="source_diversion",
            category="noise",
            primary="ecology",
            cooperating=(),
        )
        inst = instruction_of(incident, "ecology")
        result = Deadline.objects.get(instruction=inst, kind="result")
        admin = Api(UserFactory(role=Role.ADMIN))
        clock.advance(timedelta(days=10))  # every clock of the instruction has passed
        calendar = admin.get("/calendar").json()
        year = next(y for y in calendar if y["year"] == 2026)
        # the office learns of a holiday on the first working day after dispatch
        holidays = sorted({*year["holidays"], "2026-12-01"})
        body = {"holidays": holidays, "makeup_workdays": year["makeup_workdays"], "source": "更正"}
        assert admin.put("/calendar/2026", body).status_code == 200  # writes the job only
        job = CalendarRecompute.objects.first()
        assert job is not None

        held_by = "incidents_incident" if holder == "a_person" else "incidents_instruction"
        with row_held(held_by, incident.pk if holder == "a_person" else inst.pk) as release:
            watch = None
            if holder == "the_watch":  # the watch takes the incident, queues on the instruction
                watch = Runner(sweep_overdue_deadlines)
                watch.start()
                wait_until_waiting(1)
            finishes_without_waiting(recompute_until_done, "the recompute")
            assert Deadline.objects.get(pk=result.pk).due_at == result.due_at
            assert list(job.chunks.values_list("ids", flat=True)) == [[result.pk]]
            release()
            if watch is not None:
                watch.join(30)
                assert not watch.is_alive() and watch.error is None, repr(watch.error)

        recompute_until_done()  # the incident is free: its chunk is done
        sweep_overdue_deadlines()
        moved = Deadline.objects.get(pk=result.pk)
        assert moved.due_at > result.due_at
        assert not job.chunks.exists()
        assert Event.objects.filter(instruction=inst, kind="deadline_recomputed").count() == 1
        assert Event.objects.filter(instruction=inst, kind="deadline_overdue").count() == 3
        assert_each_stage_once(inst.pk)


def test_two_workers_share_a_recompute_job_each_taking_a_chunk_the_other_does_not_hold() -> None:
    with clock.frozen(DISPATCHED_AT):
        incidents = [
            dispatched(
                level=2,
                incident_class="source_diversion",
                category="noise",
                primary="ecology",
                cooperating=(),
            )
            for _ in range(3)
        ]
        results = [Deadline.objects.get(instruction__incident=i, kind="result") for i in incidents]
        admin = Api(UserFactory(role=Role.ADMIN))
        year = next(y for y in admin.get("/calendar").json() if y["year"] == 2026)
        body = {
            "holidays": sorted({*year["holidays"], "2026-12-01"}),
            "makeup_workdays": year["makeup_workdays"],
            "source": "更正",
        }
        assert admin.put("/calendar/2026", body).status_code == 200
        job = CalendarRecompute.objects.first()
        assert job is not None

        assert do_recompute_chunk(size=1) == 1  # splits the job into three chunks, does the first
        second = job.chunks.order_by("pk").first()
        assert second is not None and second.through == results[1].pk
        with row_held("sla_recomputechunk", second.pk):  # a worker busy with the second chunk
            other = finishes_without_waiting(lambda: do_recompute_chunk(size=1), "a second worker")
            assert other.result == 1, other.result
        moved = [Deadline.objects.get(pk=r.pk).due_at > r.due_at for r in results]
        assert moved == [True, False, True]

        assert recompute_until_done(size=1) == 1  # the chunk no longer held
        assert all(Deadline.objects.get(pk=r.pk).due_at > r.due_at for r in results)
        job.refresh_from_db()
        assert (job.done, job.moved) == (3, 3) and not job.chunks.exists()

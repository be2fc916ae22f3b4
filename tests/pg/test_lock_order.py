"""The one lock order (incident → instruction → request → deadline) under forced interleavings of
the deadline watch with a unit's sign, the office's accept and a calendar recompute, on real
concurrent PostgreSQL connections.

Each test makes the worst interleaving happen on purpose instead of hoping for it: a third
connection holds the incident's row lock; the user's request starts and queues behind it; then the
watch starts and queues too; then the incident is released. With the watch taking the deadline
before the incident (as it once did) this ends in `deadlock detected` and a 500; with one order
both finish: the request answers 2xx and the watch does its work or finds nothing left to do.
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
from liandong.incidents.models import Deadline, Event, Instruction
from liandong.worker.loop import sweep_overdue_deadlines
from tests.factories import Api, UserFactory, dispatched, instruction_of, office_user, unit_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DISPATCHED_AT = datetime.fromisoformat("2026-11-30T09:00:00+08:00")  # a Monday


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set LIANDONG_DATABASE_URL=postgresql://…")


def _dsn() -> str:
    s = connection.settings_dict
    return (
        f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} dbname={s['NAME']} "
        f"user={s['USER'] or 'postgres'}" + (f" password={s['PASSWORD']}" if s["PASSWORD"] else "")
    )


@contextmanager
def incident_held(incident_pk: int) -> Iterator[Callable[[], None]]:
    """A third connection holding the incident's row lock until `release()` is called."""
    conn = psycopg.connect(_dsn())
    conn.execute("SELECT id FROM incidents_incident WHERE id = %s FOR UPDATE", [incident_pk])
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


def interleave(incident_pk: int, user_request: Callable[[], Any]) -> tuple[Runner, Runner]:
    """The user's request queues on the incident first, then the watch; then both go."""
    with incident_held(incident_pk) as release:
        request = Runner(user_request)
        request.start()
        wait_until_waiting(1)
        watch = Runner(sweep_overdue_deadlines)
        watch.start()
        wait_until_waiting(2)
        release()
        request.join(30)
        watch.join(30)
    assert not request.is_alive() and not watch.is_alive()
    assert request.error is None, repr(request.error)
    assert watch.error is None, repr(watch.error)
    return request, watch


def test_the_watch_and_a_late_sign_of_the_same_deadline_never_deadlock() -> None:
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

        request, watch = interleave(
            incident.pk, lambda: officer.post(f"/instructions/{inst.pk}/sign").status_code
        )

        assert request.result == 200
        sign = Deadline.objects.get(instruction=inst, kind="sign")
        assert sign.state == "missed"
        # the watch came second: the deadline was no longer open, nothing to notice
        assert Event.objects.filter(instruction=inst, kind="signed").count() == 1
        assert Event.objects.filter(instruction=inst, kind="deadline_overdue").count() == (
            1 if sign.overdue_noticed_at else 0
        )


def test_the_watch_and_the_office_accepting_on_the_same_incident_never_deadlock() -> None:
    with clock.frozen(DISPATCHED_AT):
        incident = dispatched(level=1)  # housing primary, urban-constr cooperating
        coop = instruction_of(incident, "urban-constr")
        officer = unit_user("urban-constr")
        from liandong.incidents import actions

        actions.do_sign_instruction(actor=officer, instruction=coop)
        actions.do_report_result(
            actor=officer,
            instruction=Instruction.objects.get(pk=coop.pk),
            outcome="resolved",
            text="已处理",
        )
        office = Api(office_user())
        clock.advance(timedelta(minutes=11))  # the primary's sign deadline has passed

        request, watch = interleave(
            incident.pk,
            lambda: office.post(f"/instructions/{coop.pk}/accept-result").status_code,
        )

        assert request.result == 200
        assert Instruction.objects.get(pk=coop.pk).state == "done"
        primary = instruction_of(incident, "housing")
        assert Event.objects.filter(instruction=primary, kind="deadline_overdue").count() == 1
        assert watch.result == 1


def test_the_watch_and_a_calendar_recompute_of_the_same_deadline_never_deadlock() -> None:
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

        request, watch = interleave(
            incident.pk, lambda: admin.put("/calendar/2026", body).status_code
        )

        assert request.result == 200
        moved = Deadline.objects.get(pk=result.pk)
        assert moved.due_at > result.due_at
        assert Event.objects.filter(instruction=inst, kind="deadline_recomputed").count() == 1
        assert Event.objects.filter(instruction=inst, kind="deadline_overdue").count() == 3
        assert watch.result == 3

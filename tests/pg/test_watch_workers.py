"""Two real workers racing through the same due deadlines on PostgreSQL: every stage of every
deadline is recorded exactly once (SKIP LOCKED splits the work, the stamps and a unique
notification per stage keep it once), whatever the interleaving."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import connections

from liandong import clock
from liandong.incidents.models import Deadline, Event, Notification
from liandong.worker.loop import sweep_overdue_deadlines
from tests.factories import dispatched

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime.fromisoformat("2026-11-30T09:00:00+08:00")


def race_two_workers() -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        try:
            barrier.wait()
            sweep_overdue_deadlines()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_two_workers_record_every_stage_of_forty_instructions_exactly_once() -> None:
    with clock.frozen(T0):
        for i in range(20):
            dispatched(level=1 + i % 2)  # each: a primary and a cooperating instruction
        # step through six days, racing at each step
        for minutes in (8, 10, 30, 96, 120, 130, 240, 60 * 20, 60 * 26, 60 * 36, 60 * 24 * 6):
            clock.advance(T0 + timedelta(minutes=minutes) - clock.now())
            race_two_workers()
        race_two_workers()

    per_stage = Counter(
        (e.instruction_id, e.data["kind"], e.kind)
        for e in Event.objects.filter(
            kind__in=["deadline_warning", "deadline_overdue", "supervision_proposed"]
        )
    )
    assert per_stage and max(per_stage.values()) == 1
    for d in Deadline.objects.all():
        breached = per_stage[(d.instruction_id, d.kind, "deadline_overdue")]
        proposed = per_stage[(d.instruction_id, d.kind, "supervision_proposed")]
        assert breached == (1 if d.overdue_noticed_at else 0)
        assert proposed == (1 if d.escalated_at else 0)
        assert d.overdue_noticed_at is not None  # nobody worked: every clock ran out
    notes = Counter(
        (n.deadline_id, n.stage, n.unit_id, n.audience)
        for n in Notification.objects.exclude(deadline=None)
    )
    assert max(notes.values()) == 1

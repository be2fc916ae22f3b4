"""The worker's deadline watch runs in a thread of its own (ADR 25): a warning that falls due
while a long round is busy (a storm's deliveries, a calendar recompute) is written at once, not
after the round."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connections

from liandong import clock
from liandong.incidents.models import Event
from liandong.worker import loop
from tests.factories import dispatched

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime.fromisoformat("2026-11-30T09:00:00+08:00")


def warnings() -> int:
    count = Event.objects.filter(kind="deadline_warning").count()
    connections.close_all()  # this thread's connection is not held between polls
    return count


def test_a_warning_is_written_while_a_long_round_is_busy(monkeypatch) -> None:
    release = threading.Event()
    in_round = threading.Event()

    def long_round() -> int:
        """A round that takes as long as the test needs (a backlog of deliveries)."""
        in_round.set()
        release.wait(30)
        return 0

    monkeypatch.setattr(loop, "ROUND_TASKS", (long_round,))
    stop = threading.Event()
    with clock.frozen(T0):
        dispatched(level=1)  # the sign deadline: 10 minutes, warned at 8
        worker = threading.Thread(target=loop.run_forever, kwargs={"interval": 0.1, "stop": stop})
        worker.start()
        try:
            assert in_round.wait(10)
            assert warnings() == 0
            clock.advance(timedelta(minutes=9))  # the warnings fall due during the round
            deadline = time.monotonic() + 5
            while warnings() == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert warnings() >= 1 and not release.is_set()  # the round is still busy
        finally:
            release.set()
            stop.set()
            worker.join(30)
    assert not worker.is_alive()

"""Two workers, each sending with its own pool, on PostgreSQL: the batch claims (row locks,
skipping what another worker holds) keep every notification to one worker, so each reaches the
receiver exactly once, never twice at the same time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from liandong.notifications import delivery as notify
from liandong.notifications.models import Delivery
from tests.notifications.conftest import dispatch_to_ecology

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set LIANDONG_DATABASE_URL=postgresql://…")


def test_two_workers_with_pools_send_each_notification_once(slow_channels, receiver, settings):
    settings.LIANDONG_NOTIFY_CONCURRENCY = 4
    receiver.delay = 0.05
    total = dispatch_to_ecology(10)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                counts.append(notify.deliver_notifications(budget_seconds=0.3))
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(counts) == total
    assert len(receiver.bodies) == total and len(set(receiver.bodies)) == total
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}

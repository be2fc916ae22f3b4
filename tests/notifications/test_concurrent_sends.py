"""A worker sends notifications concurrently (LIANDONG_NOTIFY_CONCURRENCY at once) through the one
delivery mechanism: its own thread claims, reads the channel settings and records every attempt;
a small pool only makes the network calls. Against a real local HTTP server that answers slowly,
as the SMS gateway and the WeCom robot do: the sends overlap, each arrives once, a refusal is
retried with back-off, the budget still bounds a round, and a worker that dies after its claim
leaves the item to the lease's expiry. (City reports: tests/citylink/test_delivery.py.)"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from liandong import clock
from liandong.notifications import delivery as notify
from liandong.notifications.models import Delivery
from liandong.outbox import engine
from tests.notifications.conftest import dispatch_to_ecology

NOTIFY_LEASE = notify.NOTIFY_QUEUE.lease_seconds


def test_notifications_are_sent_concurrently_each_once(slow_channels, receiver):
    total = dispatch_to_ecology(6)
    assert total == 12
    began = time.monotonic()
    assert notify.deliver_notifications() == total
    took = time.monotonic() - began
    assert receiver.most_in_flight >= 4, receiver.most_in_flight  # one at a time would be 1
    assert took < total * receiver.delay / 2, took  # one at a time: 3.6 s
    assert len(receiver.bodies) == total and len(set(receiver.bodies)) == total
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert Counter(Delivery.objects.values_list("attempt_log__outcome", flat=True)) == Counter(
        {"delivered": total}
    )
    assert notify.deliver_notifications() == 0 and len(receiver.bodies) == total


def test_one_at_a_time_when_so_configured(slow_channels, receiver, settings):
    settings.LIANDONG_NOTIFY_CONCURRENCY = 1
    total = dispatch_to_ecology(2)
    assert notify.deliver_notifications() == total
    assert receiver.most_in_flight == 1 and len(receiver.bodies) == total


def test_a_failure_is_retried_with_back_off_as_before(slow_channels, receiver):
    total = dispatch_to_ecology(3)
    receiver.status = 503
    assert notify.deliver_notifications() == 0
    assert len(receiver.bodies) == total  # each tried once, not again in the same round
    for item in Delivery.objects.all():
        assert item.state == "pending" and item.attempts == 1 and item.last_status == 503
        assert item.lease_until is None
        wait = (item.next_attempt_at - clock.now()).total_seconds()
        assert 0.9 * engine.FIRST_RETRY_SECONDS <= wait <= 1.1 * engine.FIRST_RETRY_SECONDS
    assert notify.deliver_notifications() == 0 and len(receiver.bodies) == total  # not yet due
    receiver.status = 200
    clock.advance(timedelta(seconds=10))
    assert notify.deliver_notifications() == total
    assert len(receiver.bodies) == 2 * total
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {2}


def test_the_budget_bounds_a_round_and_the_rest_waits(slow_channels, receiver):
    total = dispatch_to_ecology(6)
    assert notify.deliver_notifications(budget_seconds=0.0) == 0 and not receiver.bodies
    sent = notify.deliver_notifications(budget_seconds=0.05)
    # no send is started after the budget; those in flight (at most 8) finish and are recorded
    assert 1 <= sent <= 8 and len(receiver.bodies) == sent
    rest = Delivery.objects.exclude(state="delivered")
    assert rest.count() == total - sent
    assert not rest.filter(attempts__gt=0).exists() and not rest.filter(lease_until__isnull=False)
    assert notify.deliver_notifications(budget_seconds=60.0) == total - sent
    assert len(receiver.bodies) == total


def test_a_worker_dying_after_its_claims_leaves_them_to_the_lease(slow_channels, receiver):
    """The worker claims a pool's worth at once, then its thread fails (here: reading the third
    item's settings): what was already sent is recorded, the items claimed and not sent wait for
    their leases to expire, and are then sent by the next round, once each."""
    total = dispatch_to_ecology(3)
    prepared: list[int] = []

    def prepare_then_die(item: Delivery) -> engine.Send:
        if len(prepared) == 2:
            raise ConnectionError("the database went away")
        prepared.append(item.pk)
        return notify.prepare(item)

    with pytest.raises(ConnectionError):
        engine.deliver_concurrently(notify.NOTIFY_QUEUE, prepare_then_die, concurrency=8)
    assert len(receiver.bodies) == 2
    assert set(Delivery.objects.filter(state="delivered").values_list("pk", flat=True)) == set(
        prepared
    )
    leased = Delivery.objects.filter(lease_until__isnull=False)
    assert leased.count() == total - 2 and not leased.filter(attempts__gt=0).exists()
    assert notify.deliver_notifications() == 0 and len(receiver.bodies) == 2  # still leased
    clock.advance(timedelta(seconds=NOTIFY_LEASE + 1))
    assert notify.deliver_notifications() == total - 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert len(receiver.bodies) == total and len(set(receiver.bodies)) == total


def test_a_send_that_raises_is_recorded_as_a_try_to_repeat(slow_channels, receiver):
    """A sender never raises; if one did, its item is recorded as a failed try (retried with
    back-off, no exception text kept) and the other sends of the batch as usual."""
    dispatch_to_ecology(2)
    broken = Delivery.objects.order_by("id").first()
    assert broken is not None

    def prepare(item: Delivery) -> engine.Send:
        if item.pk != broken.pk:
            return notify.prepare(item)

        def fails() -> engine.Outcome:
            raise RuntimeError("https://qyapi.example/send?key=SECRET")

        return fails

    assert engine.deliver_concurrently(notify.NOTIFY_QUEUE, prepare, concurrency=8) == 3
    broken.refresh_from_db()
    assert (broken.state, broken.attempts, broken.lease_until) == ("pending", 1, None)
    assert broken.last_error == "发送失败（RuntimeError）"
    assert broken.next_attempt_at > clock.now()

"""The delivery mechanism, the same for every queue (city reports, channel messages).

A worker picks items that are due (and, for an ordered queue, whose predecessors in the same
stream are all delivered), claims each with a lease (an atomic UPDATE), sends it outside any
transaction, and records the attempt (`do_record_attempt`): delivered, retry later with back-off,
or parked on a permanent refusal, through the outbox table. A worker that dies mid-send leaves the
lease to expire; the item is then sent again (receivers treat a repeat as already received).
Several workers may run: a claim succeeds for one of them only.

A queue may be sent concurrently (`deliver_concurrently`): the worker's own thread still claims,
reads and records every item; a small pool of threads does only the network calls. For an ordered
queue the items in flight are of different streams (`deliverable` offers only each stream's head).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q

from liandong import clock
from liandong.common import live_signal
from liandong.outbox.lifecycle import OUTBOX
from liandong.outbox.models import OutboxItem, OutboxState

log = logging.getLogger("liandong.outbox")

FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 600.0
RETRYABLE_STATUSES = frozenset({408, 429})

Item = TypeVar("Item", bound=OutboxItem)


def backoff_seconds(attempts: int) -> float:
    """5 s, 10 s, 20 s … up to 10 minutes between tries (attempts ≥ 1)."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def classify(status: int | None) -> str:
    """The outbox table's action 'delivered', 'retry' or 'park' for an HTTP status (None:
    timeout or connection error)."""
    if status is None or status in RETRYABLE_STATUSES or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    return "park"


@dataclass(frozen=True)
class Outcome:
    """One try. `verdict` overrides the HTTP classification (a channel knows better: an SMS
    gateway answering 200 with an error code)."""

    status: int | None
    error: str
    duration_ms: int
    verdict: str = ""

    def action(self) -> str:
        return self.verdict or classify(self.status)


@dataclass(frozen=True)
class Queue(Generic[Item]):
    """One outbound table: its item and attempt models, and whether items of the same stream
    (e.g. one incident's reports) must arrive in order."""

    name: str
    model: type[Item]
    attempt_model: type[models.Model]
    attempt_fk: str
    stream_field: str | None = None  # ordered queues: the stream key; items carry `sequence`
    lease_seconds: float = 60.0
    batch: int = 100
    label: Callable[[Item], str] = field(default=lambda item: str(item.pk))
    related: tuple[str, ...] = ()  # foreign keys the sender reads, fetched with the batch


def deliverable(queue: Queue[Item], *, limit: int | None = None) -> list[Item]:
    """Items due now (and, in an ordered queue, whose predecessors are delivered), oldest first."""
    now = clock.now()
    qs = queue.model._default_manager.filter(
        state=OutboxState.PENDING, next_attempt_at__lte=now
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if queue.stream_field:
        earlier_open = queue.model._default_manager.filter(
            **{queue.stream_field: OuterRef(queue.stream_field)},
            sequence__lt=OuterRef("sequence"),
        ).exclude(state=OutboxState.DELIVERED)
        qs = qs.exclude(Exists(earlier_open))
    if queue.related:
        qs = qs.select_related(*queue.related)
    return list(qs.order_by("next_attempt_at", "id")[: limit or queue.batch])


def claim(queue: Queue[Item], item: Item) -> bool:
    now = clock.now()
    claimed = (
        queue.model._default_manager.filter(pk=item.pk, state=OutboxState.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=queue.lease_seconds))
    )
    return claimed == 1


def claim_many(queue: Queue[Item], items: list[Item]) -> list[Item]:
    """`claim` for several items in one transaction: the ones this worker now holds (an item
    another worker holds or is claiming, its row locked, is skipped)."""
    if not items:
        return []
    now = clock.now()
    manager = queue.model._default_manager
    with transaction.atomic():
        free = set(
            manager.select_for_update(skip_locked=True)
            .filter(pk__in=[item.pk for item in items], state=OutboxState.PENDING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .values_list("pk", flat=True)
        )
        manager.filter(pk__in=free).update(lease_until=now + timedelta(seconds=queue.lease_seconds))
    return [item for item in items if item.pk in free]


@transaction.atomic
def do_record_attempt(*, queue: Queue[Item], item: Item, outcome: Outcome) -> str:
    """Store the attempt and move the item on through the outbox table."""
    locked = queue.model._default_manager.select_for_update().get(pk=item.pk)
    return _record(queue, locked, outcome)


@transaction.atomic
def do_record_attempts(*, queue: Queue[Item], sent: list[tuple[Item, Outcome]]) -> list[str]:
    """`do_record_attempt` for several items in one transaction (their rows locked in id order);
    the verdicts, in the order given ("" for an item deleted meanwhile)."""
    pks = sorted(item.pk for item, _ in sent)
    locked = {
        row.pk: row
        for row in queue.model._default_manager.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
    }
    return [
        _record(queue, locked[item.pk], outcome) if item.pk in locked else ""
        for item, outcome in sent
    ]


def _record(queue: Queue[Item], locked: Item, outcome: Outcome) -> str:
    verdict = outcome.action()
    now = clock.now()
    queue.attempt_model.objects.create(  # type: ignore[attr-defined]
        **{queue.attempt_fk: locked},
        started_at=now - timedelta(milliseconds=outcome.duration_ms),
        duration_ms=outcome.duration_ms,
        status_code=outcome.status,
        error=outcome.error,
        outcome=verdict,
    )
    locked.attempts += 1
    locked.last_status = outcome.status
    locked.last_error = outcome.error
    locked.lease_until = None
    if OUTBOX.allows(locked.state, verdict):  # an item resent or delivered meanwhile stays
        locked.state = OUTBOX.next_state(locked.state, verdict)
        if verdict == "delivered":
            locked.delivered_at = now
        elif verdict == "park":
            log.warning("%s %s parked: %s", queue.name, queue.label(locked), outcome.error[:200])
            live_signal.changed()  # the console counts what is parked
        else:
            jitter = random.uniform(0.9, 1.1)
            locked.next_attempt_at = now + timedelta(
                seconds=backoff_seconds(locked.attempts) * jitter
            )
    locked.save()
    return verdict


def deliver(
    queue: Queue[Item],
    send: Callable[[Item], Outcome],
    *,
    max_rounds: int = 20,
    budget_seconds: float | None = None,
) -> int:
    """Send what is due, round after round while items keep being delivered (an ordered
    stream's next item becomes due once its predecessor is delivered). Returns how many were.
    With a budget, no new item is started after that many seconds: the worker's other tasks
    (the deadline watch first) get their turn and the rest waits for the next round."""
    total = 0
    ends = None if budget_seconds is None else time.monotonic() + budget_seconds
    for _ in range(max_rounds):
        delivered = 0
        blocked: set[Any] = set()
        for item in deliverable(queue):
            if ends is not None and time.monotonic() >= ends:
                return total + delivered
            stream = getattr(item, f"{queue.stream_field}_id") if queue.stream_field else None
            if (stream is not None and stream in blocked) or not claim(queue, item):
                continue
            verdict = do_record_attempt(queue=queue, item=item, outcome=send(item))
            if verdict == "delivered":
                delivered += 1
            elif stream is not None:
                blocked.add(stream)
        total += delivered
        if delivered == 0:
            break
    return total


#: A send prepared by the worker's own thread (every database read done), run by a pool thread.
Send = Callable[[], Outcome]


def deliver_concurrently(
    queue: Queue[Item],
    prepare: Callable[[Item], Send],
    *,
    concurrency: int,
    max_rounds: int = 20,
    budget_seconds: float | None = None,
) -> int:
    """`deliver` with up to `concurrency` sends in flight. An ordered queue keeps its order:
    `deliverable` offers only the head of each stream (every earlier item delivered), so the sends
    in flight are of different streams, and a stream's next item becomes due only in a later
    round, once its predecessor's outcome is recorded (`_heads` makes sure of it).

    This thread does all the database work, as `deliver` does: it claims the items that fit
    into the pool (`claim_many`, one transaction; the leases keep every other worker off them),
    prepares each send (`prepare` reads the channel's settings) and records the attempts of the
    sends that came back (`do_record_attempts`, one transaction). The pool's threads only run the
    prepared sends (network calls); they never touch Django's connections. The budget works as
    in `deliver`: no item is started after it; the sends in flight finish and are recorded. A
    worker killed mid-send leaves its claimed items to the leases' expiry."""
    if concurrency <= 1:
        return deliver(
            queue,
            lambda item: prepare(item)(),
            max_rounds=max_rounds,
            budget_seconds=budget_seconds,
        )
    total = 0
    ends = None if budget_seconds is None else time.monotonic() + budget_seconds
    with ThreadPoolExecutor(concurrency, thread_name_prefix="outbox-send") as pool:
        for _ in range(max_rounds):
            due = _heads(queue, deliverable(queue))
            in_flight: dict[Future[Outcome], Item] = {}
            delivered, spent = 0, False
            try:
                while due or in_flight:
                    spent = spent or (ends is not None and time.monotonic() >= ends)
                    room = 0 if spent else concurrency - len(in_flight)
                    if room and due:  # fill the pool: one claim for the lot
                        batch, due = due[:room], due[room:]
                        for item in claim_many(queue, batch):
                            in_flight[pool.submit(prepare(item))] = item
                        continue
                    if not in_flight:
                        break
                    delivered += _record_finished(queue, in_flight, every=spent or not due)
            finally:  # whatever happened here, what was sent is recorded
                delivered += _record_finished(queue, in_flight, every=True)
            total += delivered
            if spent or delivered == 0:
                break
    return total


def _heads(queue: Queue[Item], items: list[Item]) -> list[Item]:
    """At most one item of each stream of an ordered queue (the first); all of an unordered one."""
    if not queue.stream_field:
        return items
    seen: set[Any] = set()
    heads = []
    for item in items:
        stream = getattr(item, f"{queue.stream_field}_id")
        if stream not in seen:
            seen.add(stream)
            heads.append(item)
    return heads


def _record_finished(
    queue: Queue[Item], in_flight: dict[Future[Outcome], Item], *, every: bool
) -> int:
    """Wait for a send to come back (for all of them with `every`) and record those that did,
    in this thread and one transaction; how many were delivered."""
    if not in_flight:
        return 0
    done, _ = wait(in_flight, return_when=ALL_COMPLETED if every else FIRST_COMPLETED)
    sent = []
    for future in done:
        item = in_flight.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:  # a sender should never raise; if one does, try again later
            # (the exception's text is not logged: it may hold a webhook's key)
            log.error(
                "%s %s: the send raised %s", queue.name, queue.label(item), type(exc).__name__
            )
            outcome = Outcome(None, f"发送失败（{type(exc).__name__}）", 0, "retry")
        sent.append((item, outcome))
    verdicts = do_record_attempts(queue=queue, sent=sent)
    return verdicts.count("delivered")


def backlog(queue: Queue[Item], items: models.QuerySet[Item] | None = None) -> dict[str, Any]:
    """Waiting, failing (retrying), parked, and the age of the oldest undelivered item."""
    undelivered = (items if items is not None else queue.model._default_manager.all()).exclude(
        state=OutboxState.DELIVERED
    )
    counts = undelivered.aggregate(
        waiting=Count("id", filter=Q(state=OutboxState.PENDING, attempts=0)),
        failing=Count("id", filter=Q(state=OutboxState.PENDING, attempts__gt=0)),
        parked=Count("id", filter=Q(state=OutboxState.PARKED)),
        oldest=Min("created_at"),
    )
    oldest = counts.pop("oldest")
    counts["oldest_age_seconds"] = (
        int((clock.now() - oldest).total_seconds()) if oldest is not None else None
    )
    return counts


def resend(queue: Queue[Item], item: Item) -> Item:
    """Put a parked item (locked by the caller) back in the queue, keeping its place."""
    item.state = OUTBOX.next_state(item.state, "resend")
    item.next_attempt_at = clock.now()
    item.lease_until = None
    item.save()
    return item


def filter_state(qs: models.QuerySet[Item], state: str | None) -> models.QuerySet[Item]:
    """The backlog's filters: waiting, failing, or a stored state."""
    if state == "failing":
        return qs.filter(state=OutboxState.PENDING, attempts__gt=0)
    if state == "waiting":
        return qs.filter(state=OutboxState.PENDING, attempts=0)
    if state:
        return qs.filter(state=state)
    return qs

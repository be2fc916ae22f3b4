"""A city hand-over's receipt: its `received` event, the event's audit entry and the office's
notification (ADR 26).

The intake request (intake.py) writes the incident alone, with `receipt_pending` set to the
request's audit context, and answers the city; the live screens are told at once. The receipt
follows within a worker round (`do_record_receipts`, in batches), or at once when an action locks
the incident before that (locks.lock_incident calls `record_receipts`), so an incident's timeline
always starts with its receipt. The event is dated when the incident was accepted, and its audit
entry names the city's request (method, peer, address, request id) and that moment, as it would
have had it been written in the request.

A pending receipt is a marker on the durable incident row: a worker killed before its commit
leaves it to the next round; two workers skip each other's rows (`SKIP LOCKED`); a receipt
recorded once is never recorded again (the marker is cleared in the same transaction)."""

from __future__ import annotations

from django.db import transaction

from liandong.audit.context import Context
from liandong.common.chunks import in_chunks
from liandong.incidents.actions.kernel import append_events, notify_many, office_unit
from liandong.incidents.events import EventKind
from liandong.incidents.models import Event, Incident, Notification, Source

#: Incidents per transaction in the worker.
CHUNK = 500
#: What a receipt reads of its incident (the row also holds the city's whole request).
RECEIPT_FIELDS = ("pk", "address", "accepted_at", "status", "receipt_pending")


def record_receipts(incidents: list[Incident]) -> int:
    """Record the pending receipts of these incidents, which the caller holds locked; the
    number recorded. The caller's transaction holds the writes."""
    pending = [incident for incident in incidents if incident.receipt_pending is not None]
    if not pending:
        return 0
    events = []
    for incident in pending:
        event = Event(
            incident=incident,
            kind=EventKind.RECEIVED,
            summary=f"收到市平台警情：{incident.address}",
            actor=None,
            actor_label=Source.CITY.label,  # who handed it over
            occurred_at=incident.accepted_at,
            after={"status": incident.status},
        )
        # The entry names the city's request and the moment it was accepted (audit/services.py).
        acting = Context.from_kept(incident.receipt_pending or {})
        event.audit_as = (acting, incident.accepted_at)  # type: ignore[attr-defined]
        events.append(event)
    append_events(events)
    office = office_unit()
    notify_many(
        [
            Notification(
                unit=office,
                incident=incident,
                kind="new_incident",
                text=f"新警情待研判：{incident.address}",
            )
            for incident in pending
        ]
    )
    Incident.objects.filter(pk__in=[incident.pk for incident in pending]).update(
        receipt_pending=None
    )
    for incident in pending:
        incident.receipt_pending = None
    return len(pending)


def do_record_receipts(*, limit: int | None = None, budget_seconds: float | None = None) -> int:
    """The worker's step: the pending receipts, oldest first, in chunks of their own
    transaction (all, at most `limit`, or until `budget_seconds` have gone); how many."""
    return in_chunks(_record_chunk, size=CHUNK, limit=limit, budget_seconds=budget_seconds)


def _record_chunk(size: int) -> int:
    """Claim up to `size` incidents with a pending receipt and record them, in one transaction."""
    with transaction.atomic():
        claim = Incident.objects.select_for_update(skip_locked=True).only(*RECEIPT_FIELDS)
        return record_receipts(
            list(claim.filter(receipt_pending__isnull=False).order_by("pk")[:size])
        )

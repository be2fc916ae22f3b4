"""The record of each dispatch against its proposal (TriageRecord), written by the worker (ADR 23).

- `queue_dispatch_record` is an event hook: a dispatch event queues one PendingTriageRecord in the
  dispatch's own transaction (one insert that also notes the model version active at that
  moment), so the dispatch no longer computes a proposal while the office waits, and a committed
  dispatch always has its record to come.
- `do_write_triage_records` is the worker's step: it claims queued rows (row locks, skipping
  those another worker holds), computes each proposal with the model active at the dispatch,
  writes the records (one upsert per incident: redoing a row changes nothing) and removes exactly
  the rows it claimed, all in one transaction. A worker killed before its commit leaves the rows
  queued for the next round.

A proposal that cannot be computed is logged and its row dropped, as the record written at once
used to be skipped: the record is a by-product, never a reason to stop."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import connection, transaction

from liandong.common.chunks import in_chunks
from liandong.triage.learn import Example, labels_only
from liandong.triage.models import ModelVersion, PendingTriageRecord, TriageRecord
from liandong.triage.proposal import Proposal, StreetAnswer, propose
from liandong.triage.selectors import catalogue, model_numbered

log = logging.getLogger(__name__)
#: Queue rows handled in one transaction (their answers computed together).
CHUNK = 100
#: The street decides only the proposed units, which the record does not keep.
NOWHERE = StreetAnswer(None, None, "")
RECORD_FIELDS = [
    "model_version",
    "proposed_category",
    "proposed_confidence",
    "proposed_class",
    "proposed_level",
    "decided_category",
    "decided_class",
    "decided_level",
    "corrected",
    "decided_by",
    "decided_at",
]


def queue_dispatch_record(event: Any) -> None:
    """Event hook: a dispatch queues its triage record (with the model version active now)."""
    from liandong.incidents.events import EventKind

    if event.kind != EventKind.DISPATCHED:
        return
    sql, params = _queue_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [event.incident_id, event.actor_id, event.occurred_at, *params])


def queue_dispatch_records(events: list[Any]) -> None:
    """The same for a list of events (append_events)."""
    from liandong.incidents.events import EventKind

    for event in events:
        if event.kind == EventKind.DISPATCHED:
            queue_dispatch_record(event)


@functools.cache
def _queue_statement() -> tuple[str, tuple[Any, ...]]:
    """INSERT … SELECT of one queue row, the active model's number read by the insert itself;
    compiled once (a dispatch is a hot path, ADR 27)."""
    active = ModelVersion.objects.filter(active=True).values("number")[:1]
    number, params = active.query.get_compiler(connection.alias).as_sql()
    meta = PendingTriageRecord._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    columns = ", ".join(
        connection.ops.quote_name(column[name])
        for name in ("incident_pk", "decided_by", "decided_at", "model_number")
    )
    table = connection.ops.quote_name(meta.db_table)
    return f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s, ({number})", tuple(params)


def do_write_triage_records(
    *, limit: int | None = None, budget_seconds: float | None = None
) -> int:
    """Write the records of the queued dispatches (all, at most `limit` queue rows, or chunks
    until `budget_seconds` have gone); the number of queue rows handled."""
    return in_chunks(_write_chunk, size=CHUNK, limit=limit, budget_seconds=budget_seconds)


def _write_chunk(size: int) -> int:
    """Claim up to `size` queue rows, write their records and drop the rows, in one transaction."""
    with transaction.atomic():
        claim = PendingTriageRecord.objects.select_for_update(skip_locked=True)
        queued = list(claim.order_by("pk")[:size])
        if queued:
            _write(queued)
            PendingTriageRecord.objects.filter(pk__in=[q.pk for q in queued]).delete()
    return len(queued)


def _write(queued: list[PendingTriageRecord]) -> None:
    """The records of `queued` (claimed), one upsert; each model's answers computed together."""
    from liandong.incidents.models import Incident

    latest = {q.incident_pk: q for q in queued}  # one dispatch per incident; the last wins
    incidents = Incident.objects.select_related("category").in_bulk(list(latest))
    by_model: dict[int | None, list[tuple[PendingTriageRecord, Any]]] = {}
    for pk, job in latest.items():
        incident = incidents.get(pk)  # gone (never in practice): nothing to record
        if incident is not None and incident.category_id is not None:
            by_model.setdefault(job.model_number, []).append((job, incident))
    entries = catalogue()
    rows = []
    for number, jobs in by_model.items():
        try:
            model, version = model_numbered(number)
            examples = [_example(incident) for _, incident in jobs]
            answers = labels_only(model, examples)
        except Exception:  # the record is a by-product: logged, never retried for ever
            log.exception("triage records of %d dispatches not written", len(jobs))
            continue
        for (job, incident), example, said in zip(jobs, examples, answers, strict=True):
            try:
                proposal = propose(model, example, entries, NOWHERE, version=version, said=said)
            except Exception:
                log.exception("triage record of incident %s not written", incident.pk)
                continue
            rows.append(_record(incident, job, proposal))
    if rows:
        TriageRecord.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["incident"], update_fields=RECORD_FIELDS
        )


def _example(incident: Any) -> Example:
    """What the proposal reads of an incident (as selectors.propose_for_incident)."""
    return Example(
        content=incident.content,
        address=incident.address,
        police=incident.police_dispatched,
        urgent=incident.suggested_urgency == "urgent",
    )


def _record(incident: Any, job: PendingTriageRecord, proposal: Proposal) -> TriageRecord:
    decided = (incident.category.code, incident.incident_class, int(incident.level or 0))
    proposed = (proposal.category, proposal.incident_class, proposal.level)
    return TriageRecord(
        incident=incident,
        model_version=proposal.model_version,
        proposed_category=proposal.category,
        proposed_confidence=proposal.confidence,
        proposed_class=proposal.incident_class,
        proposed_level=proposal.level,
        decided_category=decided[0],
        decided_class=decided[1],
        decided_level=decided[2],
        corrected=decided != proposed,
        decided_by_id=job.decided_by_id,
        decided_at=job.decided_at,
    )

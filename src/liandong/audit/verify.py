"""Checking the trail against the database as it is now (read-only): the chain link by link, then
every timeline event against the digest its entry recorded (an entry of kind EVENT records one,
one of kind EVENTS several), then that no event is missing from the entries. Stops at the first
problem."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from liandong.audit import chain
from liandong.audit.kinds import AuditKind
from liandong.audit.models import AuditEntry, AuditLink
from liandong.audit.services import covered_events, entry_fields, event_fields

CHUNK = 5000


@dataclass(frozen=True)
class Report:
    links: int
    events: int
    unsealed: int
    head: str
    problem: chain.Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _check_chain() -> tuple[int, str, chain.Problem | None]:
    expected, previous = 1, chain.GENESIS
    while True:
        links = [
            chain.Link(
                seq=row.seq,
                entry_id=row.entry_id,
                algorithm=row.algorithm,
                previous=row.previous,
                hash=row.hash,
            )
            for row in AuditLink.objects.filter(seq__gte=expected).order_by("seq")[:CHUNK]
        ]
        if not links:
            return expected - 1, previous, None
        entries = AuditEntry.objects.in_bulk([link.entry_id for link in links])
        stored = {pk: e.digest for pk, e in entries.items()}
        recomputed = {
            pk: chain.row_digest(e.algorithm, entry_fields(e)) for pk, e in entries.items()
        }
        for outcome in chain.check_links(
            links, stored, recomputed, previous=previous, expected_seq=expected
        ):
            if isinstance(outcome, chain.Problem):
                return expected - 1, previous, outcome
            expected, previous = outcome


def _covered() -> Iterator[list[tuple[int, int, str, str]]]:
    """The events the entries record, as (event id, entry id, algorithm, digest), in the
    entries' order, in batches of about CHUNK events."""
    batch: list[tuple[int, int, str, str]] = []
    rows = (
        AuditEntry.objects.filter(Q(event_id__isnull=False) | Q(kind=AuditKind.EVENTS))
        .order_by("id")
        .values_list("id", "event_id", "kind", "algorithm", "data")
        .iterator(chunk_size=CHUNK // 10)
    )
    for entry_id, event_id, kind, name, data in rows:
        batch.extend((pk, entry_id, name, d) for pk, d in covered_events(event_id, kind, data))
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _check_events() -> tuple[int, chain.Problem | None]:
    """Every event an entry records must be there, as written, and recorded once; then every
    event must have been recorded (the ids seen are kept as one bit each)."""
    event = apps.get_model("incidents", "Event")  # by name: the trail depends on no app above it
    seen = chain.IdSet()
    checked = 0
    for batch in _covered():
        events = event.objects.in_bulk([pk for pk, *_ in batch])
        for pk, entry_id, name, expected in batch:
            if pk in seen:
                return checked, chain.Problem(f"事件#{pk}", f"被重复记录（审计记录#{entry_id}）")
            seen.add(pk)
            row = events.get(pk)
            if row is None:
                return checked, chain.Problem(
                    f"事件#{pk}", f"已从数据库中删除（审计记录#{entry_id}仍在）"
                )
            if chain.row_digest(name, event_fields(row)) != expected:
                return checked, chain.Problem(
                    f"事件#{pk}", "内容与审计记录不符（在数据库中被修改或调换）"
                )
            checked += 1
    keys = event.objects.order_by("id").values_list("id", flat=True)
    for pk in keys.iterator(chunk_size=CHUNK * 4):
        if pk not in seen:
            return checked, chain.Problem(
                f"事件#{pk}", "没有对应的审计记录（在数据库中直接插入，或审计记录被删除）"
            )
    return checked, None


def verify() -> Report:
    """The whole check in one snapshot of the database: an event and its entry commit together,
    so what the system writes meanwhile is either seen whole or not at all, never an event whose
    entry the walk had already passed (PostgreSQL: REPEATABLE READ; SQLite in WAL mode: a read
    transaction). Inside a caller's transaction (the tests) it reads that transaction's view."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        links, head, problem = _check_chain()
        events = 0
        if problem is None:
            events, problem = _check_events()
        unsealed = AuditEntry.objects.filter(link__isnull=True).count()
    return Report(links=links, events=events, unsealed=unsealed, head=head, problem=problem)

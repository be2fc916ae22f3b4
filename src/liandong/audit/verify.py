"""Checking the trail against the database as it is now (read-only): the chain link by link, then
every timeline event against the digest its entry recorded. Stops at the first problem."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from liandong.audit import chain
from liandong.audit.models import AuditEntry, AuditLink
from liandong.audit.services import entry_fields, event_fields

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


def _events() -> Iterator[Any]:
    # By name: the trail depends on no app above it.
    event = apps.get_model("incidents", "Event")
    return event.objects.order_by("id").iterator(chunk_size=CHUNK)


def _event_entries() -> Iterator[tuple[Any, int, str, Any]]:
    return (
        AuditEntry.objects.filter(event_id__isnull=False)
        .order_by("event_id")
        .values_list("event_id", "id", "algorithm", "data")
        .iterator(chunk_size=CHUNK)
    )


def _check_events() -> tuple[int, chain.Problem | None]:
    """A merge of the events (by id) with their entries (by event id)."""
    events, entries = _events(), _event_entries()
    event, entry = next(events, None), next(entries, None)
    checked = 0
    while event is not None or entry is not None:
        if entry is not None and (event is None or entry[0] < event.pk):
            return checked, chain.Problem(
                f"事件#{entry[0]}", f"已从数据库中删除（审计记录#{entry[1]}仍在）"
            )
        assert event is not None
        if entry is None or event.pk < entry[0]:
            return checked, chain.Problem(
                f"事件#{event.pk}", "没有对应的审计记录（在数据库中直接插入，或审计记录被删除）"
            )
        expected = entry[3].get("event_digest")
        if chain.row_digest(entry[2], event_fields(event)) != expected:
            return checked, chain.Problem(
                f"事件#{event.pk}", "内容与审计记录不符（在数据库中被修改或调换）"
            )
        checked += 1
        event, entry = next(events, None), next(entries, None)
    return checked, None


def verify() -> Report:
    links, head, problem = _check_chain()
    events = 0
    if problem is None:
        events, problem = _check_events()
    unsealed = AuditEntry.objects.filter(link__isnull=True).count()
    return Report(links=links, events=events, unsealed=unsealed, head=head, problem=problem)

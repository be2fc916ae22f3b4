"""Writing the audit trail: `do_record` appends one entry (inside the caller's transaction, so an
entry exists exactly when what it records was committed); `record_event` is the event hook that
gives every timeline event its entry; `do_seal` links the entries written since the last round into
the hash chain, one sealer at a time."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from liandong import clock
from liandong.audit import chain, context
from liandong.audit.kinds import AuditKind
from liandong.audit.models import AuditEntry, AuditLink
from liandong.common.inserts import insert_rows

#: The fields of an entry its digest covers: everything but the digest and the id (an entry is
#: written once, whole, and never updated; its link names it by id, so moving content between
#: ids still breaks the chain).
ENTRY_FIELDS = (
    "at",
    "kind",
    "actor_id",
    "actor_label",
    "auth_method",
    "token_prefix",
    "ip",
    "request_id",
    "target",
    "event_id",
    "summary",
    "data",
    "algorithm",
)
#: The fields of a timeline event its audit entry's digest covers.
EVENT_FIELDS = (
    "id",
    "incident_id",
    "instruction_id",
    "kind",
    "summary",
    "actor_id",
    "actor_label",
    "occurred_at",
    "before",
    "after",
    "data",
)
SEAL_BATCH = 2000
#: Any constant of our own: the advisory lock that makes one sealer at a time (PostgreSQL).
_SEAL_LOCK = 0x4C44_4155  # "LDAU"


def algorithm() -> str:
    name = getattr(settings, "LIANDONG_AUDIT_HASH", "sha256")
    if name not in chain.ALGORITHMS:
        raise ValueError(f"LIANDONG_AUDIT_HASH must be one of {chain.ALGORITHMS}")
    return name


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def event_fields(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EVENT_FIELDS}


def _actor(actor: Any, ctx: context.Context) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "pk", None) is not None:
        return actor.pk, str(getattr(actor, "display_name", "") or actor)[:150]
    request = ctx.request
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return user.pk, str(user.display_name)[:150]
    return None, ""


# No savepoint of its own inside the caller's transaction (two round trips fewer per event): an
# entry that fails dooms the whole transaction, as an entry exists exactly when what it records does.
@transaction.atomic(savepoint=False)
def do_record(
    *,
    kind: AuditKind,
    summary: str,
    actor: Any = None,
    actor_label: str = "",
    target: str = "",
    data: dict[str, Any] | None = None,
    event_id: int | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry of an enumerated kind, with who acted and how they authenticated."""
    entry = _entry(
        kind=kind,
        summary=summary,
        actor=actor,
        actor_label=actor_label,
        target=target,
        data=data,
        event_id=event_id,
        ip=ip,
    )
    entry.save(force_insert=True)
    return entry


def _entry(
    *,
    kind: AuditKind,
    summary: str,
    actor: Any = None,
    actor_label: str = "",
    target: str = "",
    data: dict[str, Any] | None = None,
    event_id: int | None = None,
    ip: str | None = None,
    acting: context.Context | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """One entry, digest included, not yet saved; by default in the current context, now."""
    ctx = acting or context.current()
    actor_id, label = _actor(actor, ctx)
    entry = AuditEntry(
        at=at or clock.now(),
        kind=AuditKind(kind),
        actor_id=actor_id,
        actor_label=(actor_label or label)[:150],
        auth_method=ctx.method,
        token_prefix=ctx.token_prefix,
        ip=ip or ctx.ip,
        request_id=ctx.request_id,
        target=target[:120],
        event_id=event_id,
        summary=summary[:300],
        data=chain.json_ready(data or {}),
        algorithm=algorithm(),
    )
    entry.digest = chain.row_digest(entry.algorithm, entry_fields(entry))
    return entry


def _event_entry(event: Any, label: str) -> AuditEntry:
    """An event may carry `audit_as` (a context and a moment): it records a request that was
    answered earlier, and its entry names that request and moment (actions/receipts.py)."""
    name = algorithm()
    acting, at = getattr(event, "audit_as", (None, None))
    return _entry(
        acting=acting,
        at=at,
        kind=AuditKind.EVENT,
        summary=f"{label}：{event.summary}"[:300],
        actor=event.actor,
        actor_label=event.actor_label,
        target=f"incident:{event.incident_id}",
        event_id=event.pk,
        data={"event_digest": chain.row_digest(name, event_fields(event))},
    )


def record_event(event: Any) -> AuditEntry:
    """The event hook: the event's own audit entry, carrying the digest of the row."""
    (entry,) = insert_rows([_event_entry(event, event.get_kind_display())])
    return entry


def record_events(events: list[Any]) -> list[AuditEntry]:
    """The same for a list of events (append_events), in one multi-row insert. An event that
    records an earlier request (`audit_as`) has its own entry, as above. The others were written
    by one act in this context (a sweep of the watch, a chunk of a calendar recompute): those of
    one actor share one entry of kind EVENTS that lists each event's id and digest (ADR 29), one
    digest per event instead of an entry and a link each."""
    if not events:
        return []
    labels = dict(type(events[0])._meta.get_field("kind").flatchoices)  # once, not per event
    entries: list[AuditEntry] = []
    together: dict[tuple[int | None, str], list[Any]] = {}
    for event in events:
        if hasattr(event, "audit_as"):
            entries.append(_event_entry(event, labels.get(event.kind, event.kind)))
        else:
            together.setdefault((event.actor_id, event.actor_label), []).append(event)
    for group in together.values():
        if len(group) > 1:
            entries.append(_events_entry(group, labels))
        else:
            (event,) = group
            entries.append(_event_entry(event, labels.get(event.kind, event.kind)))
    return insert_rows(entries)


def _events_entry(events: list[Any], labels: dict[Any, str]) -> AuditEntry:
    """One entry for several events of one actor, in the current context: each event's id and
    the digest of its row, in the order written."""
    name = algorithm()
    kinds = Counter(labels.get(event.kind, event.kind) for event in events)
    incidents = {event.incident_id for event in events}
    first = events[0]
    return _entry(
        kind=AuditKind.EVENTS,
        summary=f"{len(events)}条：" + "、".join(f"{label}{n}条" for label, n in kinds.items()),
        actor=first.actor,
        actor_label=first.actor_label,
        target=f"incident:{first.incident_id}" if len(incidents) == 1 else "",
        data={
            "events": [[event.pk, chain.row_digest(name, event_fields(event))] for event in events]
        },
    )


def covered_events(event_id: int | None, kind: str, data: dict[str, Any]) -> list[tuple[int, str]]:
    """The events an entry (its `event_id`, `kind` and `data`) records, each with the digest of
    its row as written: one for an entry of kind EVENT, the list of one of kind EVENTS, else none."""
    if event_id is not None:
        return [(event_id, str(data.get("event_digest", "")))]
    if kind == AuditKind.EVENTS:
        return [(int(pk), str(digest)) for pk, digest in data.get("events", [])]
    return []


#: How far behind the newest sealed entry the sealer looks for entries committed late (a
#: transaction that was open while this many others committed); `audit verify` looks everywhere.
LOOKBACK = 10_000


def do_seal(*, limit: int = SEAL_BATCH * 10, everywhere: bool = False) -> int:
    """Link the entries not yet in the chain, in id order, up to `limit`; returns how many.
    Entries commit out of id order, so the chain's order is the order of sealing."""
    sealed = 0
    while sealed < limit:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK])
            last = AuditLink.objects.order_by("-seq").first()
            seq, previous = (last.seq, last.hash) if last else (0, chain.GENESIS)
            candidates = AuditEntry.objects.filter(link__isnull=True)
            if last is not None and not everywhere:
                candidates = candidates.filter(id__gt=last.entry_id - LOOKBACK)
            pending = list(
                candidates.order_by("id").values_list("id", "digest")[
                    : min(SEAL_BATCH, limit - sealed)
                ]
            )
            if not pending:
                break
            name = algorithm()
            links = []
            for entry_id, entry_digest in pending:
                seq += 1
                hashed = chain.link_hash(name, seq, previous, entry_digest)
                links.append(
                    AuditLink(
                        seq=seq, entry_id=entry_id, algorithm=name, previous=previous, hash=hashed
                    )
                )
                previous = hashed
            AuditLink.objects.bulk_create(links)
            sealed += len(links)
    return sealed


def record_export(*, name: str, detail: str = "", rows: int | None = None) -> AuditEntry:
    """A file leaving the system (a list's export, a statistics workbook, an official document,
    an attachment): who took what, in the request's context."""
    counted = f"，{rows}行" if rows is not None else ""
    return do_record(
        kind=AuditKind.EXPORT,
        summary=f"导出：{name}{counted}{('（' + detail + '）') if detail else ''}"[:300],
        target=context.current().path[:120],
        data={"name": name, "detail": detail[:500], "rows": rows},
    )

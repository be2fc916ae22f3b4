"""Anonymisation (个人信息保护): a finished incident keeps its caller's name and phone only for a
configurable period (setting LIANDONG_ANONYMISE_AFTER_DAYS, 0: never). After it, the caller's
name and phone are replaced in the incident, in its stored request (the parsed one and the raw
text) and wherever the phone was written into a text (notifications, the city's later messages,
caller contacts, call-backs). Everything the statistics count stays as it was: times, deadlines,
units, category, street, states, satisfaction. The event log is append-only and is not rewritten:
the incident gets one more event saying it was anonymised.

An incident is finished when it is closed (办结), withdrawn (撤回), returned to the city or merged;
its end is its closing or withdrawal time, or the moment it was returned or merged."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from liandong.incidents import privacy
from liandong.incidents.actions.kernel import append_event
from liandong.incidents.actions.locks import lock_incident
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import IncidentStatus
from liandong.incidents.models import CallBack, CallerContact, Event, Incident, Notification

BATCH = 200
#: The events that end an incident at triage (it has no closing or withdrawal time).
_ENDED_AT_TRIAGE = {
    IncidentStatus.RETURNED: EventKind.RETURNED_TO_CITY,
    IncidentStatus.MERGED: EventKind.MERGED,
}


def anonymisable_incidents(*, now: datetime, older_than_days: int) -> QuerySet[Incident]:
    """The finished incidents whose end lies more than `older_than_days` before `now` and whose
    caller is still on record (none when `older_than_days` is 0 or less: never anonymise)."""
    if older_than_days <= 0:
        return Incident.objects.none()
    cutoff = now - timedelta(days=older_than_days)
    ended = Q(status=IncidentStatus.CLOSED, closed_at__lt=cutoff) | Q(
        status=IncidentStatus.WITHDRAWN, withdrawn_at__lt=cutoff
    )
    for status, kind in _ENDED_AT_TRIAGE.items():
        ending = Event.objects.filter(incident=OuterRef("pk"), kind=kind, occurred_at__lt=cutoff)
        ended |= Q(Exists(ending), status=status)
    return Incident.objects.filter(ended, anonymised_at__isnull=True).order_by("pk")


def do_anonymise_closed_incidents(
    *, now: datetime, older_than_days: int, batch_size: int = BATCH, limit: int | None = None
) -> int:
    """Anonymise every incident `anonymisable_incidents` names (at most `limit`), `batch_size` at
    a time, each batch in its own transaction; the number anonymised."""
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        pks = list(
            anonymisable_incidents(now=now, older_than_days=older_than_days).values_list(
                "pk", flat=True
            )[:size]
        )
        if not pks:
            break
        done += _anonymise_batch(pks=pks, now=now, older_than_days=older_than_days)
        if len(pks) < size:
            break
    return done


@transaction.atomic
def _anonymise_batch(*, pks: list[int], now: datetime, older_than_days: int) -> int:
    done = 0
    for pk in pks:
        incident = lock_incident(pk)
        still_due = anonymisable_incidents(now=now, older_than_days=older_than_days)
        if still_due.filter(pk=pk).exists():  # rechecked under the lock (reopened meanwhile?)
            do_anonymise_incident(incident=incident, now=now, older_than_days=older_than_days)
            done += 1
    return done


@transaction.atomic
def do_anonymise_incident(*, incident: Incident, now: datetime, older_than_days: int) -> Incident:
    """Replace one incident's caller name and phone everywhere they are stored; one event."""
    incident = lock_incident(incident)
    if incident.anonymised_at is not None:
        return incident
    phone, name = incident.caller_phone, incident.caller_name

    def scrub(text: str) -> str:
        return privacy.scrub_text(text, phone=phone, name=name)

    incident.caller_name = privacy.ANONYMISED_NAME
    incident.caller_phone = privacy.ANONYMISED_PHONE
    request = incident.raw_request if isinstance(incident.raw_request, dict) else {}
    incident.raw_request = privacy.anonymised_request(request)
    if incident.raw_body:
        incident.raw_body = (
            json.dumps(incident.raw_request, ensure_ascii=False, sort_keys=True)
            if request
            else scrub(incident.raw_body)
        )
    incident.anonymised_at = now
    incident.save(
        update_fields=["caller_name", "caller_phone", "raw_request", "raw_body", "anonymised_at"]
    )
    _scrub_rows(Notification.objects.filter(incident=incident), "text", scrub)
    _scrub_rows(CallerContact.objects.filter(instruction__incident=incident), "note", scrub)
    _scrub_rows(CallBack.objects.filter(incident=incident), "note", scrub)
    for message in incident.city_messages.all():
        text, raw = scrub(message.text), scrub(message.raw_body)
        if (text, raw) != (message.text, message.raw_body):
            message.text, message.raw_body = text, raw
            message.save(update_fields=["text", "raw_body"])
    append_event(
        incident=incident,
        kind=EventKind.ANONYMISED,
        summary=f"报警人姓名和电话已匿名化（办结超过{older_than_days}天）",
        actor=None,
        actor_label_text="系统",
        data={"older_than_days": older_than_days},
        at=now,
    )
    return incident


def _scrub_rows(rows: QuerySet[Any], field: str, scrub: Callable[[str], str]) -> None:
    for row in rows.only("pk", field):
        old = getattr(row, field)
        new = scrub(old)
        if new != old:
            setattr(row, field, new)
            row.save(update_fields=[field])

"""Intake: incidents entering the district (by hand or from the city) and what the city sends
about them later (supplements, urges). Withdrawals are incident actions (incident.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.audit import context as audit_context
from liandong.common import live_signal
from liandong.common.errors import Conflict, InvalidInput
from liandong.incidents.actions.decisions import do_urge_instruction
from liandong.incidents.actions.kernel import (
    actor_label,
    append_event,
    clean_text,
    iso,
    notify,
    office_unit,
    open_instructions,
    phone,
)
from liandong.incidents.actions.locks import lock_incident
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import INCIDENT, INSTRUCTION
from liandong.incidents.models import Incident, Source
from liandong.incidents.urgency import URGENT, assess

#: A claim (正在研判) older than this no longer holds others off.
CLAIM_MINUTES = 10


@transaction.atomic
def do_create_manual_incident(
    *,
    actor: User,
    caller_phone: str,
    address: str,
    content: str,
    received_at: datetime | None = None,
    caller_name: str = "",
    police_dispatched: bool = False,
    city_category: str = "",
) -> Incident:
    """A dispatcher enters an incident that reached the office by another channel."""
    now = clock.now()
    received = received_at or now
    if received > now + timedelta(minutes=5):
        raise InvalidInput.one("received_at", "in_future", "接警时间不能晚于当前时间")
    payload = {
        "caller_name": caller_name,
        "caller_phone": caller_phone,
        "address": address,
        "content": content,
        "received_at": iso(received),
        "police_dispatched": police_dispatched,
        "city_category": city_category,
    }
    incident = Incident.objects.create(
        incident_id=f"pending-{now.timestamp()}-{actor.pk}",
        source=Source.MANUAL,
        received_at=received,
        accepted_at=now,
        caller_name=clean_text("caller_name", caller_name, max_length=50, required=False),
        caller_phone=phone(caller_phone),
        address=clean_text("address", address, max_length=200),
        content=clean_text("content", content, max_length=5000),
        city_category=clean_text("city_category", city_category, max_length=50, required=False),
        police_dispatched=police_dispatched,
        raw_request=payload,
        created_by=actor,
        **_urgency(content, address, "", police_dispatched),
    )
    incident.incident_id = f"QY{clock.to_beijing(now):%Y%m%d}{incident.pk:06d}"
    incident.save(update_fields=["incident_id"])
    append_event(
        incident=incident,
        kind=EventKind.CREATED,
        summary=f"人工录入警情：{incident.address}",
        actor=actor,
        after={"status": incident.status},
    )
    notify(
        unit=office_unit(),
        incident=incident,
        kind="new_incident",
        text=f"新警情待研判：{incident.address}",
    )
    return incident


def do_receive_city_incident(
    *,
    incident_id: str,
    received_at: datetime,
    transferred_at: datetime,
    caller_phone: str,
    address: str,
    content: str,
    police_dispatched: bool,
    caller_name: str = "",
    longitude: float | None = None,
    latitude: float | None = None,
    coordinate_system: str = "gcj02",
    city_category: str = "",
    urgency: str = "",
    repeat_calls: int = 0,
    raw_request: dict[str, Any],
    raw_body: str,
    content_hash: str,
) -> tuple[Incident, bool]:
    """An incident handed over by the city platform. Returns (incident, created); a repeat with the
    same content returns the stored one, a different content under a known id is a Conflict.

    The hand-over is one transaction (_store_city_incident). It inserts at once, without looking
    first: a repeat, also one arriving at the same moment as its first copy, is found by the
    unique incident id, which rolls the attempt back whole; then the stored incident answers."""
    fields = {
        "incident_id": incident_id,
        "received_at": received_at,
        "transferred_at": transferred_at,
        "caller_name": caller_name,
        "caller_phone": caller_phone,
        "address": address,
        "longitude": longitude,
        "latitude": latitude,
        "coordinate_system": coordinate_system,
        "content": content,
        "city_category": city_category,
        "police_dispatched": police_dispatched,
        "suggested_urgency": urgency,
        "repeat_calls": repeat_calls,
        "raw_request": raw_request,
        "raw_body": raw_body,
        "content_hash": content_hash,
    }
    try:
        return _store_city_incident(fields), True
    except IntegrityError:
        existing = Incident.objects.filter(incident_id=incident_id).first()
        if existing is None:  # not a repeat: another constraint failed
            raise
    if existing.source == Source.CITY and existing.content_hash == content_hash:
        return existing, False
    raise Conflict(f"警情编号{incident_id}已存在且内容不同", code="conflict")


@transaction.atomic
def _store_city_incident(fields: dict[str, Any]) -> Incident:
    """The incident alone; its receipt (event, audit entry, the office's notification) is
    recorded by the worker, in the name of this request (receipts.py, ADR 26)."""
    incident = Incident.objects.create(
        source=Source.CITY,
        accepted_at=clock.now(),
        receipt_pending=audit_context.current().kept(),
        **_urgency(
            fields["content"],
            fields["address"],
            fields["suggested_urgency"],
            fields["police_dispatched"],
        ),
        **fields,
    )
    live_signal.changed()  # the console lists it at once
    return incident


@transaction.atomic
def do_supplement_incident(*, incident: Incident, text: str, source: str = "市安管平台") -> None:
    """More information from the caller; it reaches every unit holding the incident."""
    incident = lock_incident(incident)
    INCIDENT.next_state(incident.status, "supplement")
    body = clean_text("text", text, max_length=2000)
    more = assess(content=body, address="", suggested_urgency="", police_dispatched=False)
    if more.priority == URGENT:  # danger reported later moves a waiting incident up
        incident.intake_priority = URGENT
        incident.intake_cues = list(dict.fromkeys([*incident.intake_cues, *more.cues]))[:6]
        incident.save(update_fields=["intake_priority", "intake_cues"])
    append_event(
        incident=incident,
        kind=EventKind.SUPPLEMENTED,
        summary=f"补充警情信息：{body[:200]}",
        actor=None,
        actor_label_text=source,
        data={"text": body},
    )
    notify(unit=office_unit(), incident=incident, kind="supplement", text=f"警情补充：{body}")
    for instruction in open_instructions(incident).select_related("unit"):
        notify(
            unit=instruction.unit,
            incident=incident,
            instruction=instruction,
            kind="supplement",
            text=f"警情补充：{body}",
        )


@transaction.atomic
def do_city_urge_incident(*, incident: Incident, text: str = "") -> int:
    """The caller called again to press (催办 from the city): every unit still working on it gets
    a recorded urge (counted against it); returns how many units were urged."""
    incident = lock_incident(incident)
    INCIDENT.next_state(incident.status, "urge")
    urged = 0
    for instruction in open_instructions(incident).select_related("unit").order_by("pk"):
        if INSTRUCTION.allows(instruction.state, "urge"):
            do_urge_instruction(actor=None, instruction=instruction, note=text, by_city=True)
            urged += 1
        else:  # waiting for the office's decision: told, not counted against it
            notify(
                unit=instruction.unit,
                incident=incident,
                instruction=instruction,
                kind="urged",
                text=f"市平台催办：{text or incident.address}",
            )
    if urged == 0:
        append_event(
            incident=incident,
            kind=EventKind.URGED,
            summary="市平台催办" + (f"：{text}" if text else ""),
            actor=None,
            actor_label_text="市安管平台",
            data={"by_city": True},
        )
        notify(
            unit=office_unit(),
            incident=incident,
            kind="urged",
            text=f"市平台催办：{text or incident.address}",
        )
    return urged


@transaction.atomic
def do_record_phone_reveal(*, actor: User, incident: Incident, via: str = "web") -> None:
    """The caller's name and number are shown masked (privacy.py); who looked at them in full,
    and through which door ("web", "api", "search"), is on record. The caller checks the gate."""
    incident = lock_incident(incident)
    append_event(
        incident=incident,
        kind=EventKind.CALLER_PHONE_REVEALED,
        summary=f"{actor_label(actor)}查看了报警人完整电话",
        actor=actor,
        data={"via": via},
    )


@transaction.atomic
def do_claim_incident(*, actor: User, incident: Incident) -> Incident:
    """A dispatcher starts triaging a waiting incident (正在研判 · who), so that others see it is
    taken. Opening it again within CLAIM_MINUTES changes nothing; a stale claim passes on."""
    incident = lock_incident(incident)
    INCIDENT.next_state(incident.status, "claim")
    now = clock.now()
    if (
        incident.claimed_by_id == actor.pk
        and incident.claimed_at is not None
        and now - incident.claimed_at < timedelta(minutes=CLAIM_MINUTES)
    ):
        return incident
    incident.claimed_by = actor
    incident.claimed_at = now
    incident.save(update_fields=["claimed_by", "claimed_at"])
    append_event(
        incident=incident,
        kind=EventKind.CLAIMED,
        summary=f"{actor_label(actor)}开始研判",
        actor=actor,
    )
    return incident


def _urgency(content: str, address: str, urgency: str, police: bool) -> dict[str, Any]:
    found = assess(
        content=content, address=address, suggested_urgency=urgency, police_dispatched=police
    )
    return {"intake_priority": found.priority, "intake_cues": list(found.cues)}

"""The city link's actions: applying a message the city sends about an incident, and the office's
resend of a parked report. Keyword-only, typed, atomic; locks in the one order (incident first)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.citylink import contract
from liandong.citylink.delivery import CITY_QUEUE
from liandong.citylink.lifecycle import REPORT
from liandong.citylink.models import CityReport, InboundMessage
from liandong.common.errors import Conflict, IllegalTransition, NotFound
from liandong.incidents import actions
from liandong.incidents.actions.kernel import append_event
from liandong.incidents.actions.locks import lock_incident
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import INCIDENT
from liandong.incidents.models import Incident, Source
from liandong.outbox import engine

#: What each message type asks of the incident's table.
MESSAGE_ACTION = {"supplement": "supplement", "urge": "urge", "withdraw": "withdraw"}


@transaction.atomic
def do_apply_city_message(
    *, incident_id: str, message: contract.CityMessage, payload: Any, raw_body: str
) -> bool:
    """Store a message from the city once and apply it. Returns False for a repeat of a stored
    message (same id, same content); a different content under a known id is a Conflict."""
    found = Incident.objects.filter(incident_id=incident_id, source=Source.CITY).first()
    if found is None:
        raise NotFound(f"未知的警情编号：{incident_id}", code="unknown_incident")
    incident = lock_incident(found)
    digest = contract.content_hash(payload)
    known = InboundMessage.objects.filter(incident=incident, message_id=message.message_id).first()
    if known is not None:
        if known.content_hash != digest:
            raise Conflict("同一消息编号的内容不同", code="conflict")
        return False
    if not INCIDENT.allows(incident.status, MESSAGE_ACTION[message.type]):
        raise Conflict("警情已办结或已终止，不能再补充、催办或撤回", code="closed")
    InboundMessage.objects.create(
        incident=incident,
        message_id=message.message_id,
        type=message.type,
        sent_at=message.sent_at,
        text=message.text,
        content_hash=digest,
        raw_body=raw_body,
        received_at=clock.now(),
    )
    if message.type == "supplement":
        actions.do_supplement_incident(incident=incident, text=message.text)
    elif message.type == "urge":
        actions.do_city_urge_incident(incident=incident, text=message.text)
    else:
        actions.do_withdraw_incident(
            actor=None, incident=incident, reason=message.text, by_city=True
        )
    return True


@transaction.atomic
def do_resend_report(*, actor: User | None, report: CityReport) -> CityReport:
    """After the cause is fixed, a parked report goes back in the queue (keeping its place)."""
    incident = lock_incident(report.incident_id)
    locked = CityReport.objects.select_for_update().get(pk=report.pk)
    if not REPORT.allows(locked.state, "resend"):
        raise IllegalTransition(
            f"报告当前状态为「{locked.get_state_display()}」，只有已搁置的报告可以重发"
        )
    engine.resend(CITY_QUEUE, locked)
    append_event(
        incident=incident,
        kind=EventKind.REPORT_RESENT,
        summary=f"重新发送第{locked.sequence}号上报（{locked.type}）",
        actor=actor,
        data={"report": locked.report_id, "sequence": locked.sequence},
    )
    return locked

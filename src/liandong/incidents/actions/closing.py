"""The end of an incident: the office closes it, calls the caller back (回访), and reopens it when
the caller is not satisfied (the last primary unit gets a new instruction)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput
from liandong.incidents import available, rules
from liandong.incidents.actions.incident import new_instruction
from liandong.incidents.actions.kernel import append_event, clean_text
from liandong.incidents.actions.locks import lock_incident
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import INCIDENT
from liandong.incidents.models import REACHED, CallBack, Incident, Role, Satisfaction


@transaction.atomic
def do_close_incident(*, actor: User, incident: Incident, outcome: str) -> Incident:
    incident = lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "close")
    outcome = clean_text("outcome", outcome, max_length=5000)
    rules.enforce(available.close_refusal(incident))
    now = clock.now()
    before = {"status": incident.status}
    incident.status = after
    incident.outcome = outcome
    incident.closed_at = now
    incident.save()
    append_event(
        incident=incident,
        kind=EventKind.CLOSED,
        summary=f"办结：{outcome[:150]}",
        actor=actor,
        before=before,
        after={"status": after},
        data={"elapsed_seconds": int((now - incident.received_at).total_seconds())},
    )
    return incident


@transaction.atomic
def do_record_call_back(
    *, actor: User, incident: Incident, satisfaction: str, note: str = "", reopen: bool = False
) -> CallBack:
    """回访. 不满意 may reopen the incident: the primary unit gets a new instruction."""
    incident = lock_incident(incident)
    INCIDENT.next_state(incident.status, "call_back")
    if satisfaction not in Satisfaction.values:
        raise InvalidInput.one(
            "satisfaction",
            "invalid_choice",
            "请选择回访结果：满意、基本满意、不满意、未接通或无法回访",
        )
    if reopen and satisfaction != Satisfaction.UNSATISFIED:
        raise InvalidInput.one("reopen", "not_allowed", "只有不满意的回访可以重新处置")
    note = clean_text("note", note, max_length=2000, required=False)
    now = clock.now()
    callback = CallBack.objects.create(
        incident=incident,
        satisfaction=satisfaction,
        note=note,
        reopened=reopen,
        created_by=actor,
        created_at=now,
    )
    if satisfaction in REACHED:  # an unanswered call says nothing of the caller's view
        incident.satisfaction = satisfaction
        incident.save(update_fields=["satisfaction"])
    append_event(
        incident=incident,
        kind=EventKind.CALLED_BACK,
        summary=f"回访报警人：{Satisfaction(satisfaction).label}" + (f"（{note}）" if note else ""),
        actor=actor,
        data={"satisfaction": satisfaction, "reopen": reopen},
    )
    if reopen:
        _reopen(actor=actor, incident=incident, note=note, at=now)
    return callback


def _reopen(*, actor: User, incident: Incident, note: str, at: datetime) -> None:
    after = INCIDENT.next_state(incident.status, "reopen")
    before = {"status": incident.status, "closed_at": clock.iso(incident.closed_at)}
    incident.status = after
    incident.closed_at = None
    incident.save()
    primary = incident.instructions.filter(role=Role.PRIMARY).select_related("unit").last()
    if primary is not None:
        new_instruction(
            incident=incident,
            unit=primary.unit,
            role=Role.PRIMARY,
            at=at,
            note=f"回访不满意，重新处置：{note}",
        )
    append_event(
        incident=incident,
        kind=EventKind.REOPENED,
        summary="报警人不满意，重新处置" + (f"，重新派发{primary.unit.name}" if primary else ""),
        actor=actor,
        before=before,
        after={"status": after},
    )

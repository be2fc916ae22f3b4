"""Reads: what the API and the screens show. Every function takes the user and starts from the
access gate's querysets, so nothing here can show a unit another unit's work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects

from liandong import clock
from liandong.accounts.models import User
from liandong.common.child_rows import holds_loaded, load_together
from liandong.common.errors import NotFound
from liandong.incidents import access, privacy
from liandong.incidents.available import Offer, available_actions
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES, InstructionState, RequestState
from liandong.incidents.models import (
    RESULT_OUTCOMES,
    Attachment,
    CallerContact,
    Deadline,
    DeadlineState,
    Event,
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    ReturnRequest,
)
from liandong.units import reference
from liandong.units.models import Category, Unit
from liandong.units.selectors import match_street

iso = clock.iso


def offers_out(offers: list[Offer]) -> dict[str, Any]:
    """The API's view of available_actions: the allowed names, and every action with its reason."""
    return {
        "allowed_actions": [o.action for o in offers if o.allowed],
        "actions": [o.as_dict() for o in offers],
    }


def unit_ref(unit: Unit | None) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"code": unit.code, "name": unit.name, "tier": unit.tier}


def deadline_status(deadline: Deadline, now: datetime) -> str:
    """met / missed / stopped for finished clocks; paused, overdue, warning or running for open
    ones (warning from the deadline's own warning moment, as the watch sees it)."""
    if deadline.state != DeadlineState.OPEN:
        return str(deadline.state)
    if deadline.paused_at is not None:
        return "paused"
    if now > deadline.due_at:
        return "overdue"
    if deadline.warn_at is not None and now >= deadline.warn_at:
        return "warning"
    return "running"


def deadline_dict(deadline: Deadline, now: datetime) -> dict[str, Any]:
    missed_by = None
    if deadline.state == DeadlineState.MISSED and deadline.completed_at:
        missed_by = int((deadline.completed_at - deadline.due_at).total_seconds())
    elif deadline.state == DeadlineState.OPEN and now > deadline.due_at:
        missed_by = int((now - deadline.due_at).total_seconds())
    return {
        "kind": deadline.kind,
        "label": deadline.get_kind_display(),
        "due_at": iso(deadline.due_at),
        "original_due_at": iso(deadline.original_due_at),
        "extended": deadline.extended_at is not None,
        "provisional": deadline.provisional,
        "state": deadline.state,
        "status": deadline_status(deadline, now),
        "warn_at": iso(deadline.warn_at),
        "held": deadline.held_since is not None,
        "completed_at": iso(deadline.completed_at),
        "seconds_left": int((deadline.due_at - now).total_seconds())
        if deadline.state == DeadlineState.OPEN
        else None,
        "missed_by_seconds": missed_by,
    }


def _instruction_children() -> dict[str, QuerySet[Any]]:
    """The rows of an instruction its views and its available actions read, in their order."""
    return {
        "deadlines": Deadline.objects.order_by("due_at", "id"),
        "caller_contacts": CallerContact.objects.order_by("contacted_at", "id"),
        "attachments": Attachment.objects.order_by("id"),
    }


def instruction_columns(qs: QuerySet[Instruction]) -> QuerySet[Instruction]:
    """Instructions with their unit and whether an extension request waits (one query); the
    child rows come with with_instruction_rows or load_instruction_rows."""
    pending_extension = ExtensionRequest.objects.filter(
        instruction=OuterRef("pk"),
        state__in=[RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE],
    )
    return qs.select_related("unit").annotate(has_pending_extension=Exists(pending_extension))


def with_instruction_rows(qs: QuerySet[Instruction]) -> QuerySet[Instruction]:
    """Instructions with their unit and every row their views and their available actions read
    (deadlines, caller contacts, attachments, whether an extension request waits): a page of
    instructions costs four queries however many it shows."""
    return instruction_columns(qs).prefetch_related(
        *(Prefetch(name, queryset=qs) for name, qs in _instruction_children().items())
    )


def load_instruction_rows(instructions: Sequence[Instruction]) -> None:
    """The child rows of instructions already read (instruction_columns), in one query; none for
    instructions that hold theirs already (an action's new instructions)."""
    children = _instruction_children()
    load_together([i for i in instructions if not holds_loaded(i, list(children))], children)


def _instruction_loaded(qs: QuerySet[Instruction]) -> Instruction | None:
    found = instruction_columns(qs.select_related("incident")).first()
    if found is not None:
        load_instruction_rows([found])
    return found


def access_instruction_loaded(user: User, pk: int) -> Instruction:
    """access.access_instruction and the view's read in one: the instruction through the
    gate (not found when this user may not see it), with what its view needs loaded."""
    found = _instruction_loaded(access.visible_instructions(user).filter(pk=pk))
    if found is None:
        raise NotFound("指令不存在或无权查看", code="unknown_instruction")
    return found


def _instruction_queryset(qs: QuerySet[Instruction]) -> QuerySet[Instruction]:
    return with_instruction_rows(qs.select_related("incident"))


def instruction_dict(
    user: User,
    instruction: Instruction,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or clock.now()
    return {
        "id": instruction.pk,
        "incident_id": instruction.incident.incident_id,
        "unit": unit_ref(instruction.unit),
        "role": instruction.role,
        "role_label": instruction.get_role_display(),
        "level": instruction.level,
        "tier": instruction.tier,
        "state": instruction.state,
        "state_label": instruction.get_state_display(),
        **offers_out(available_actions(user, instruction)),
        "dispatched_at": iso(instruction.dispatched_at),
        "signed_at": iso(instruction.signed_at),
        "feedback": {
            "kind": instruction.feedback_kind,
            "text": instruction.feedback_text,
            "at": iso(instruction.feedback_at),
        }
        if instruction.feedback_at
        else None,
        "result": {
            "outcome": instruction.result_outcome,
            "outcome_label": RESULT_OUTCOMES.get(instruction.result_outcome, ""),
            "text": instruction.result_text,
            "at": iso(instruction.result_at),
            "attachments": [
                {
                    "id": a.pk,
                    "name": a.original_name,
                    "content_type": a.content_type,
                    "size": a.size,
                }
                for a in instruction.attachments.all()
                if a.purpose == "result"
            ],
        }
        if instruction.result_at
        else None,
        "caller_contacts": [
            {
                "contacted_at": iso(c.contacted_at),
                "reached": c.reached,
                "note": c.note,
            }
            for c in instruction.caller_contacts.all()
        ],
        "deadlines": [deadline_dict(d, now) for d in instruction.deadlines.all()],
        "reassigned_from": instruction.reassigned_from_id,
        "note": instruction.note,
    }


def incident_summary(incident: Incident) -> dict[str, Any]:
    return {
        "incident_id": incident.incident_id,
        "source": incident.source,
        "status": incident.status,
        "status_label": incident.get_status_display(),
        "received_at": iso(incident.received_at),
        "accepted_at": iso(incident.accepted_at),
        "address": incident.address,
        "content": incident.content,
        # masked for everyone (privacy.py); the full values only through a recorded reveal
        "caller_name": privacy.mask_name(incident.caller_name),
        "caller_phone": privacy.mask_phone(incident.caller_phone),
        "class": incident.incident_class or None,
        "level": incident.level,
        "category": incident.category.code if incident.category else None,
        "repeat_calls": incident.repeat_calls,
    }


def incident_detail(user: User, incident: Incident) -> dict[str, Any]:
    now = clock.now()
    # the incident's instructions read once (what the available actions read too), then the gate
    if not holds_loaded(incident, ["instructions"]):  # a dispatch's answer holds them already
        prefetch_related_objects(
            [incident],
            Prefetch(
                "instructions", queryset=instruction_columns(Instruction.objects.order_by("id"))
            ),
        )
    rows = list(incident.instructions.all())
    load_instruction_rows(rows)
    if access.reads_everything(user):
        instructions = rows
    else:
        mine = set(
            access.visible_instructions(user).filter(incident=incident).values_list("pk", flat=True)
        )
        instructions = [i for i in rows if i.pk in mine]
    # every unit on a visible incident (access.co_working_instructions, from the rows read)
    all_units = rows if instructions or access.reads_everything(user) else []
    elapsed_end = incident.closed_at or incident.withdrawn_at or now
    return {
        **incident_summary(incident),
        "transferred_at": iso(incident.transferred_at),
        "longitude": float(incident.longitude) if incident.longitude is not None else None,
        "latitude": float(incident.latitude) if incident.latitude is not None else None,
        "city_category": incident.city_category,
        "police_dispatched": incident.police_dispatched,
        "suggested_urgency": incident.suggested_urgency or None,
        "category_name": incident.category.name if incident.category else None,
        "street": unit_ref(incident.street),
        "triage_note": incident.triage_note,
        "dispatched_at": iso(incident.dispatched_at),
        "merged_into": incident.merged_into.incident_id if incident.merged_into else None,
        "return_reason": incident.return_reason,
        "outcome": incident.outcome,
        "closed_at": iso(incident.closed_at),
        "withdrawn_at": iso(incident.withdrawn_at),
        "satisfaction": incident.satisfaction or None,
        "elapsed_seconds": int((elapsed_end - incident.received_at).total_seconds()),
        **offers_out(available_actions(user, incident)),
        # Every unit that holds or held it, so each unit knows whom it works with on site.
        "units": [
            {**(unit_ref(i.unit) or {}), "role": i.role, "state": i.state, "instruction": i.pk}
            for i in all_units
        ],
        "instructions": [instruction_dict(user, i, now) for i in instructions],
        # the office's view of what arrived, with the caller's name and phone masked
        "raw_request": privacy.mask_request(incident.raw_request)
        if access.is_office(user)
        else None,
        "may_reveal_caller": access.may_reveal_caller(user, incident),
        "anonymised_at": iso(incident.anonymised_at),
    }


def timeline(user: User, incident: Incident) -> list[dict[str, Any]]:
    """All events for the office and leadership; a unit sees the incident-level events and the
    events of its own instructions."""
    events = Event.objects.filter(incident=incident).select_related("instruction__unit")
    if access.is_unit_user(user) and user.unit_id is not None:
        events = events.filter(instruction__isnull=True) | events.filter(
            instruction__unit_id=user.unit_id
        )
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "summary": e.summary,
            "actor": e.actor_label,
            "occurred_at": iso(e.occurred_at),
            "instruction": e.instruction_id,
            "unit": e.instruction.unit.code if e.instruction else None,
            "before": e.before,
            "after": e.after,
            "data": e.data,
        }
        for e in events.order_by("occurred_at", "id")
    ]


def list_incidents(
    user: User, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    qs = access.visible_incidents(user).select_related("category")
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("received_at", "id") if status == "new" else qs.order_by("-received_at", "-id")
    return qs.count(), [incident_summary(i) for i in qs[offset : offset + limit]]


def list_instructions(
    user: User,
    *,
    open_only: bool = False,
    unit: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    qs = access.visible_instructions(user)
    if open_only:
        qs = qs.exclude(state__in=FINAL_INSTRUCTION_VALUES)
    if unit:
        qs = qs.filter(unit__code=unit)
    total = qs.count()
    qs = _instruction_queryset(qs.order_by("-dispatched_at", "-id"))
    now = clock.now()
    return total, [instruction_dict(user, i, now) for i in qs[offset : offset + limit]]


def triage_proposal(incident: Incident, category: Category) -> dict[str, Any]:
    """The catalogue's proposal for an incident: primary, cooperating units, street."""
    street = match_street(incident.address)
    catalogue_primary, cooperating, alternatives = reference.category_units(category)
    primary: Unit | None = street if category.primary_is_street else catalogue_primary
    if category.street_joins and street is not None and street != primary:
        cooperating.append(street)
    return {
        "category": {"code": category.code, "name": category.name},
        "primary_unit": unit_ref(primary),
        "alternatives": [unit_ref(u) for u in alternatives],
        "cooperating_units": [unit_ref(u) for u in cooperating],
        "street": unit_ref(street),
        "escalates_when": category.escalates_when,
    }


def request_dict(
    user: User, request: ExtensionRequest | JoinRequest | ReturnRequest
) -> dict[str, Any]:
    instruction = request.instruction
    data: dict[str, Any] = {
        "id": request.pk,
        "instruction": instruction.pk,
        "incident_id": instruction.incident.incident_id,
        "unit": unit_ref(instruction.unit),
        "state": request.state,
        "state_label": request.get_state_display(),  # type: ignore[union-attr]
        "reason": request.reason,
        "created_at": iso(request.created_at),
        "decided_at": iso(request.decided_at),
        "decision_note": request.decision_note,
        **offers_out(available_actions(user, request)),
    }
    if isinstance(request, ExtensionRequest):
        data.update(
            progress=request.progress,
            proposed_due_at=iso(request.proposed_due_at),
            granted_due_at=iso(request.granted_due_at),
            leader_note=request.leader_note,
            leader_decided_at=iso(request.leader_decided_at),
            document=request.document_id,
        )
    elif isinstance(request, JoinRequest):
        data.update(
            units=[unit_ref(u) for u in request.units.all()],
            approved_units=[unit_ref(u) for u in request.approved_units.all()],
        )
    else:
        data.update(
            state_before=request.state_before,
            reassigned_to=request.reassigned_to_id,
        )
    return data


def pending_decisions(user: User) -> dict[str, list[dict[str, Any]]]:
    """What waits for this user: for the office, returns, joins, extensions and results; for a
    unit leader, the unit's extension requests to sign off."""
    pending_office = RequestState.PENDING_OFFICE
    out: dict[str, list[dict[str, Any]]] = {}
    related = ("instruction__incident", "instruction__unit")
    if access.reads_everything(user):
        out["returns"] = [
            request_dict(user, r)
            for r in access.visible_return_requests(user)
            .filter(state=pending_office)
            .select_related(*related)
            .order_by("created_at", "pk")
        ]
        out["joins"] = [
            request_dict(user, r)
            for r in access.visible_join_requests(user)
            .filter(state=pending_office)
            .select_related(*related)
            .order_by("created_at", "pk")
        ]
        out["extensions"] = [
            request_dict(user, r)
            for r in access.visible_extension_requests(user)
            .filter(state=pending_office)
            .select_related(*related)
            .order_by("created_at", "pk")
        ]
        results = (
            access.visible_instructions(user)
            .filter(state=InstructionState.RESULT_REPORTED)
            .order_by("result_at", "pk")
        )
        now = clock.now()
        out["results"] = [instruction_dict(user, i, now) for i in _instruction_queryset(results)]
    if access.is_unit_leader(user):
        out["extensions_for_leader"] = [
            request_dict(user, r)
            for r in access.visible_extension_requests(user)
            .filter(state=RequestState.PENDING_LEADER)
            .select_related(*related)
            .order_by("created_at", "pk")
        ]
    return out

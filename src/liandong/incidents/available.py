"""What this user may do next on this incident, instruction or request: the one source for the
buttons on every screen and the `actions` of every API object.

An action is offered when three things agree: the gate (access.py: this user's seat), the
transition table (lifecycle.py: the object's state) and the business rules (rules.py). A refused
action carries the first reason that refuses it. The actions themselves check exactly the same
three things, so an offered action succeeds and a refused one answers 403/404/409; a test walks
every reachable state × every role to keep it so. Templates never compare a state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import access, rules
from liandong.incidents.lifecycle import (
    EXTENSION_REQUEST,
    FINAL_INSTRUCTION_STATES,
    INCIDENT,
    INSTRUCTION,
    JOIN_REQUEST,
    RETURN_REQUEST,
    InstructionState,
    Machine,
    RequestState,
)
from liandong.incidents.models import (
    DeadlineKind,
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    ReturnRequest,
)


@dataclass(frozen=True)
class Offer:
    action: str
    label: str
    allowed: bool
    reason: str = ""
    #: what refuses it: "seat" (the gate), "state" (the table) or "rule" (rules.py)
    by: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "label": self.label,
            "allowed": self.allowed,
            "reason": self.reason,
        }


Seat = Callable[[User, Any], "str | None"]


def _office(user: User, _: Any) -> str | None:
    return access.office_seat(user)


def _unit(user: User, instruction: Instruction) -> str | None:
    return access.unit_seat(user, instruction)


def _leader(user: User, instruction: Instruction) -> str | None:
    return access.leader_seat(user, instruction)


# --- rules read from the object's rows (prefetched where the caller prefetched) -----------------


def _contacted(instruction: Instruction) -> bool:
    return bool(list(instruction.caller_contacts.all()))


def _result_due(instruction: Instruction) -> Any:
    return next(
        (d.due_at for d in instruction.deadlines.all() if d.kind == DeadlineKind.RESULT), None
    )


def _pending_extension(instruction: Instruction) -> bool:
    known = getattr(instruction, "has_pending_extension", None)
    if known is not None:
        return bool(known)
    return ExtensionRequest.objects.filter(
        instruction=instruction,
        state__in=[RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE],
    ).exists()


def extension_refusal(instruction: Instruction) -> rules.Refusal | None:
    return rules.request_extension(
        now=clock.now(),
        result_due=_result_due(instruction),
        pending_request=_pending_extension(instruction),
    )


def report_result_refusal(instruction: Instruction) -> rules.Refusal | None:
    return rules.report_result(role=instruction.role, caller_contacted=_contacted(instruction))


def _instructions_of(incident: Incident) -> list[Instruction]:
    """The incident's instructions: the rows the caller prefetched (`instructions` with their
    unit), else read here."""
    if "instructions" in getattr(incident, "_prefetched_objects_cache", {}):
        return sorted(incident.instructions.all(), key=lambda i: i.pk)
    return list(incident.instructions.select_related("unit").order_by("pk"))


def close_refusal(incident: Incident) -> rules.Refusal | None:
    rows = _instructions_of(incident)
    open_names = [
        f"{i.unit.name}（{i.get_state_display()}）"
        for i in rows
        if i.state not in FINAL_INSTRUCTION_STATES
    ]
    any_done = any(i.state == InstructionState.DONE for i in rows)
    return rules.close_incident(open_units=open_names, any_done=any_done)


def attach_refusal(instruction: Instruction, adding_bytes: int = 0) -> rules.Refusal | None:
    """The instruction's attachments so far (prefetched where the caller prefetched)."""
    held = list(instruction.attachments.all())
    return rules.attach(
        files=len(held), total_bytes=sum(a.size for a in held), adding_bytes=adding_bytes
    )


INSTRUCTION_RULES: dict[str, Callable[[Instruction], rules.Refusal | None]] = {
    "attach": attach_refusal,
    "contact_caller": lambda i: rules.contact_caller(role=i.role),
    "report_result": report_result_refusal,
    "request_extension": extension_refusal,
    "cancel": lambda i: rules.stand_down(role=i.role),
}


# --- the catalogue: (offered name, seat, machine action, label) ----------------------------------

INSTRUCTION_OFFERS: list[tuple[str, Seat]] = [
    ("sign", _unit),
    ("contact_caller", _unit),
    ("feedback", _unit),
    ("report_result", _unit),
    ("attach", _unit),
    ("request_return", _unit),
    ("request_join", _unit),
    ("request_extension", _unit),
    ("urge", _office),
    ("reassign", _office),
    ("cancel", _office),
    ("accept_result", _office),
    ("send_back_result", _office),
]

INCIDENT_OFFERS: list[tuple[str, Seat]] = [
    ("dispatch", _office),
    ("return_to_city", _office),
    ("merge", _office),
    ("add_units", _office),
    ("close", _office),
    ("call_back", _office),
    ("withdraw", _office),
]

#: request action → (seat, the instruction's own table action it also needs, if any)
REQUEST_OFFERS: dict[type, tuple[Machine, list[tuple[str, Seat, str | None]]]] = {
    ExtensionRequest: (
        EXTENSION_REQUEST,
        [
            ("leader_approve", _leader, None),
            ("leader_reject", _leader, None),
            ("grant", _office, "decide_extension"),
            ("refuse", _office, "decide_extension"),
        ],
    ),
    JoinRequest: (JOIN_REQUEST, [("approve", _office, None), ("refuse", _office, None)]),
    ReturnRequest: (
        RETURN_REQUEST,
        [("reassign", _office, "reassign"), ("insist", _office, "insist")],
    ),
}


def offer(
    name: str,
    label: str,
    seat: str | None,
    machine: Machine,
    state: str,
    rule: Callable[[], rules.Refusal | None] | None = None,
) -> Offer:
    if seat is not None:
        return Offer(name, label, False, seat, "seat")
    if not machine.allows(state, name):
        state_label = machine.state_labels.get(state, state)
        reason = f"{machine.name}当前状态为「{state_label}」，不能{label}"
        return Offer(name, label, False, reason, "state")
    refusal = rule() if rule else None
    if refusal is not None:
        return Offer(name, label, False, refusal.message, "rule")
    return Offer(name, label, True)


def instruction_actions(user: User, instruction: Instruction) -> list[Offer]:
    offers = []
    for name, seat in INSTRUCTION_OFFERS:
        rule = INSTRUCTION_RULES.get(name)
        offers.append(
            offer(
                name,
                INSTRUCTION.action_labels[name],
                seat(user, instruction),
                INSTRUCTION,
                instruction.state,
                (lambda r=rule: r(instruction)) if rule else None,  # type: ignore[misc]
            )
        )
    return offers


def incident_actions(user: User, incident: Incident) -> list[Offer]:
    return [
        offer(
            name,
            INCIDENT.action_labels[name],
            seat(user, incident),
            INCIDENT,
            incident.status,
            (lambda: close_refusal(incident)) if name == "close" else None,
        )
        for name, seat in INCIDENT_OFFERS
    ]


#: Request actions that decide someone's request (never one's own).
DECISIONS = {"leader_approve", "leader_reject", "grant", "refuse", "approve", "reassign", "insist"}


def own_request_refusal(
    user: User, request: ExtensionRequest | JoinRequest | ReturnRequest
) -> rules.Refusal | None:
    return rules.decide_own_request(requested_by=request.created_by_id, decider=user.pk)


def request_actions(
    user: User, request: ExtensionRequest | JoinRequest | ReturnRequest
) -> list[Offer]:
    machine, catalogue = REQUEST_OFFERS[type(request)]
    instruction = request.instruction
    offers = []
    for name, seat, needs in catalogue:
        one = offer(
            name,
            machine.action_labels[name],
            seat(user, instruction),
            machine,
            request.state,
            (lambda: own_request_refusal(user, request)) if name in DECISIONS else None,
        )
        if one.allowed and needs and not INSTRUCTION.allows(instruction.state, needs):
            state_label = INSTRUCTION.state_labels.get(instruction.state, instruction.state)
            reason = f"指令当前状态为「{state_label}」，不能{one.label}"
            one = Offer(name, one.label, False, reason, "state")
        offers.append(one)
    return offers


def available_actions(
    user: User, obj: Incident | Instruction | ExtensionRequest | JoinRequest | ReturnRequest
) -> list[Offer]:
    """Every action on `obj` with whether this user may take it now, and why not."""
    if isinstance(obj, Incident):
        return incident_actions(user, obj)
    if isinstance(obj, Instruction):
        return instruction_actions(user, obj)
    return request_actions(user, obj)


def allowed(user: User, obj: Any) -> dict[str, Offer]:
    """The offered actions by name, for templates: `{% if offers.sign %}`."""
    return {o.action: o for o in available_actions(user, obj) if o.allowed}


def refused(user: User, obj: Any) -> dict[str, Offer]:
    """The refused actions by name, for the reason shown next to a form the user cannot use yet."""
    return {o.action: o for o in available_actions(user, obj) if not o.allowed}

"""What a unit asks of the office: to return an instruction, to bring in other units, more time
(with the unit leader's sign-off first); and the system's cancellation of requests left pending
when their instruction ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.incidents import available, rules
from liandong.incidents.actions.attachments import link_attachments
from liandong.incidents.actions.deadlines import (
    hold_result_breach,
    pause_clocks,
    release_result_breach,
)
from liandong.incidents.actions.kernel import (
    append_event,
    clean_text,
    instruction_transition,
    iso,
    linkage_unit,
    notify,
    office_unit,
    request_transition,
    set_instruction_state,
)
from liandong.incidents.actions.locks import lock_instruction, lock_request
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import (
    EXTENSION_REQUEST,
    JOIN_REQUEST,
    RETURN_REQUEST,
    Machine,
    RequestState,
)
from liandong.incidents.models import (
    DeadlineKind,
    ExtensionRequest,
    Instruction,
    JoinRequest,
    ReturnRequest,
)
from liandong.units.models import Unit

PENDING = (RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE)
_MACHINES: tuple[tuple[type[ExtensionRequest | JoinRequest | ReturnRequest], Machine], ...] = (
    (ExtensionRequest, EXTENSION_REQUEST),
    (JoinRequest, JOIN_REQUEST),
    (ReturnRequest, RETURN_REQUEST),
)


def cancel_pending_requests(instruction: Instruction, *, at: datetime, why: str) -> None:
    """The instruction ended: its pending requests are cancelled through their tables, each with
    an event (the caller holds the instruction)."""
    for model, machine in _MACHINES:
        pending = model.objects.select_for_update().filter(  # type: ignore[attr-defined]
            instruction=instruction, state__in=PENDING
        )
        for request in pending.order_by("pk"):
            before, after = request_transition(machine, request, "cancel")
            request.state = after
            request.decided_at = at
            request.save(update_fields=["state", "decided_at"])
            if model is ExtensionRequest:
                release_result_breach(instruction)
            append_event(
                incident=instruction.incident,
                instruction=instruction,
                kind=EventKind.REQUEST_CANCELLED,
                summary=f"{instruction.unit.name}的{machine.name}因{why}自动取消",
                actor=None,
                before={"request_state": before},
                after={"request_state": after},
                data={"request": request.pk, "request_kind": machine.name},
                at=at,
            )


@transaction.atomic
def do_request_return(*, actor: User, instruction: Instruction, reason: str) -> ReturnRequest:
    """The unit says the instruction is not its responsibility (退回)."""
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "request_return")
    reason = clean_text("reason", reason, max_length=1000)
    request = ReturnRequest.objects.create(
        instruction=instruction,
        state=RequestState.PENDING_OFFICE,
        reason=reason,
        created_by=actor,
        created_at=clock.now(),
        state_before=before,
    )
    set_instruction_state(instruction, after)
    # fair clocks: the time the office takes to decide does not count against the unit
    pause_clocks(instruction, request.created_at)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.RETURN_REQUESTED,
        summary=f"{instruction.unit.name}申请退回指令：{reason}",
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"request": request.pk, "clocks_paused": True},
    )
    notify(
        unit=office_unit(),
        incident=instruction.incident,
        instruction=instruction,
        kind="return_requested",
        text=f"{instruction.unit.name}申请退回指令，待审核",
    )
    return request


@transaction.atomic
def do_request_join(
    *, actor: User, instruction: Instruction, units: Sequence[Unit], reason: str
) -> JoinRequest:
    """提请联动: ask the office to bring in other units."""
    instruction = lock_instruction(instruction)
    instruction_transition(instruction, "request_join")
    reason = clean_text("reason", reason, max_length=1000)
    wanted = list(dict.fromkeys(units))
    if not wanted:
        raise InvalidInput.one("units", "required", "请选择需要联动的单位")
    for unit in wanted:
        linkage_unit("units", unit)
        if unit.pk == instruction.unit_id:
            raise InvalidInput.one("units", "self", "不能提请本单位联动")
    request = JoinRequest.objects.create(
        instruction=instruction,
        state=RequestState.PENDING_OFFICE,
        reason=reason,
        created_by=actor,
        created_at=clock.now(),
    )
    request.units.set(wanted)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.JOIN_REQUESTED,
        summary=f"{instruction.unit.name}提请联动：{'、'.join(u.name for u in wanted)}（{reason}）",
        actor=actor,
        data={"request": request.pk, "units": [u.code for u in wanted]},
    )
    notify(
        unit=office_unit(),
        incident=instruction.incident,
        instruction=instruction,
        kind="join_requested",
        text=f"{instruction.unit.name}提请联动，待审核",
    )
    return request


@transaction.atomic
def do_request_extension(
    *,
    actor: User,
    instruction: Instruction,
    progress: str,
    reason: str,
    proposed_due_at: datetime,
    document_id: int | None = None,
) -> ExtensionRequest:
    """进展报告/延期申请; must be filed before the result deadline; a unit leader approves it."""
    instruction = lock_instruction(instruction)
    instruction_transition(instruction, "request_extension")
    now = clock.now()
    errors = []
    if not (progress or "").strip():
        errors.append(FieldError("progress", "required", "进展情况不能为空"))
    if not (reason or "").strip():
        errors.append(FieldError("reason", "required", "延期原因不能为空"))
    result = instruction.deadlines.get(kind=DeadlineKind.RESULT)
    if proposed_due_at <= max(now, result.due_at):
        errors.append(
            FieldError("proposed_due_at", "too_early", "申请延至的时间应晚于现有处置时限")
        )
    if errors:
        raise InvalidInput(errors)
    rules.enforce(available.extension_refusal(instruction))
    document = None
    if document_id is not None:
        document = link_attachments(actor, instruction, [document_id], "extension")[0]
    request = ExtensionRequest.objects.create(
        instruction=instruction,
        state=RequestState.PENDING_LEADER,
        reason=clean_text("reason", reason, max_length=1000),
        progress=clean_text("progress", progress, max_length=5000),
        proposed_due_at=proposed_due_at,
        document=document,
        created_by=actor,
        created_at=now,
    )
    # fair clocks: asked in time, the result cannot breach while the request waits
    hold_result_breach(instruction, now)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.EXTENSION_REQUESTED,
        summary=f"{instruction.unit.name}报送进展并申请延期至{clock.to_beijing(proposed_due_at):%m-%d %H:%M}：{reason}",
        actor=actor,
        data={"request": request.pk, "proposed_due_at": iso(proposed_due_at)},
    )
    return request


@transaction.atomic
def do_leader_decide_extension(
    *, actor: User, request: ExtensionRequest, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The unit's leader in charge signs off (主管领导签字) before the office sees it."""
    instruction, request = lock_request(ExtensionRequest, request)
    rules.enforce(rules.decide_own_request(requested_by=request.created_by_id, decider=actor.pk))
    before, after = request_transition(
        EXTENSION_REQUEST, request, "leader_approve" if approve else "leader_reject"
    )
    if not approve and not (note or "").strip():
        raise InvalidInput.one("note", "required", "不同意时请说明理由")
    request.state = after
    request.leader = actor
    request.leader_decided_at = clock.now()
    request.leader_note = clean_text("note", note, max_length=1000, required=False)
    request.save()
    if not approve:
        release_result_breach(instruction)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.EXTENSION_LEADER_DECIDED,
        summary=f"{instruction.unit.name}主管领导{'同意' if approve else '不同意'}延期申请"
        + (f"：{note}" if note else ""),
        actor=actor,
        before={"request_state": before},
        after={"request_state": after},
        data={"request": request.pk},
    )
    if approve:
        notify(
            unit=office_unit(),
            incident=instruction.incident,
            instruction=instruction,
            kind="extension_requested",
            text=f"{instruction.unit.name}申请延期，待审核",
        )
    return request

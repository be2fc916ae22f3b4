"""The office's decisions on instructions and on what units asked for: urge, reassign, accept or
send back a result, grant or refuse more time, decide a return or a request for other units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput
from liandong.incidents import rules
from liandong.incidents.actions.deadlines import (
    extend_result_deadline,
    release_result_breach,
    reopen_result_deadline,
    resume_clocks,
    stop_deadlines,
)
from liandong.incidents.actions.incident import do_add_units, new_instruction
from liandong.incidents.actions.kernel import (
    actor_label,
    append_event,
    clean_text,
    instruction_transition,
    iso,
    linkage_unit,
    notify,
    request_transition,
    set_instruction_state,
)
from liandong.incidents.actions.locks import lock_instruction, lock_request
from liandong.incidents.actions.requests import cancel_pending_requests
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import (
    EXTENSION_REQUEST,
    JOIN_REQUEST,
    RETURN_REQUEST,
    RequestState,
)
from liandong.incidents.models import (
    DeadlineKind,
    ExtensionRequest,
    Instruction,
    JoinRequest,
    ReturnRequest,
    Urge,
)
from liandong.units.models import Unit


@transaction.atomic
def do_urge_instruction(
    *, actor: User | None, instruction: Instruction, note: str = "", by_city: bool = False
) -> Urge:
    """催办: a recorded reminder; counted against the unit."""
    instruction = lock_instruction(instruction)
    instruction_transition(instruction, "urge")
    urge = Urge.objects.create(
        instruction=instruction,
        by_city=by_city,
        note=clean_text("note", note, max_length=2000, required=False),
        created_by=actor,
        created_at=clock.now(),
    )
    who = "市平台" if by_city else "区联动办"
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.URGED,
        summary=f"{who}催办{instruction.unit.name}" + (f"：{note}" if note else ""),
        actor=actor,
        actor_label_text=actor_label(actor, "市安管平台" if by_city else "系统"),
        data={"urge": urge.pk, "by_city": by_city},
    )
    notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="urged",
        text=f"{who}催办：{note or instruction.incident.address}",
    )
    return urge


@transaction.atomic
def do_reassign_instruction(
    *, actor: User, instruction: Instruction, unit: Unit, reason: str
) -> Instruction:
    """改派: the instruction goes to another unit with fresh deadlines; the old one ends."""
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "reassign")
    reason = clean_text("reason", reason, max_length=1000)
    linkage_unit("unit", unit)
    if unit.pk == instruction.unit_id:
        raise InvalidInput.one("unit", "same_unit", "改派单位不能是原单位")
    now = clock.now()
    stop_deadlines(instruction, now)
    set_instruction_state(instruction, after, finished_at=now)
    incident = instruction.incident
    new = new_instruction(
        incident=incident,
        unit=unit,
        role=instruction.role,
        at=now,
        note=reason,
        reassigned_from=instruction,
    )
    pending = (
        ReturnRequest.objects.select_for_update()
        .filter(instruction=instruction, state=RequestState.PENDING_OFFICE)
        .first()
    )
    if pending is not None:
        _, pending.state = request_transition(RETURN_REQUEST, pending, "reassign")
        pending.decided_by = actor
        pending.decided_at = now
        pending.decision_note = reason
        pending.reassigned_to = new
        pending.save()
    cancel_pending_requests(instruction, at=now, why="指令改派")
    append_event(
        incident=incident,
        instruction=instruction,
        kind=EventKind.REASSIGNED,
        summary=f"改派：{instruction.unit.name} → {unit.name}（{reason}）",
        actor=actor,
        before={"state": before, "unit": instruction.unit.code},
        after={"state": after, "unit": unit.code, "new_instruction": new.pk},
    )
    notify(
        unit=instruction.unit,
        incident=incident,
        instruction=instruction,
        kind="reassigned",
        text=f"指令已改派给{unit.name}",
    )
    return new


@transaction.atomic
def do_decide_return_request(
    *, actor: User, request: ReturnRequest, reassign_to: Unit | None, note: str
) -> ReturnRequest:
    """The office decides on a return: reassign to another unit, or insist (维持原派发)."""
    instruction, locked = lock_request(ReturnRequest, request)
    rules.enforce(rules.decide_own_request(requested_by=locked.created_by_id, decider=actor.pk))
    request_transition(RETURN_REQUEST, locked, "reassign" if reassign_to else "insist")
    if reassign_to is not None:
        do_reassign_instruction(actor=actor, instruction=instruction, unit=reassign_to, reason=note)
    else:
        do_insist_on_instruction(actor=actor, request=locked, note=note)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def do_insist_on_instruction(*, actor: User, request: ReturnRequest, note: str) -> Instruction:
    """The office refuses a return: the unit keeps the instruction (维持原派发)."""
    instruction, request = lock_request(ReturnRequest, request)
    rules.enforce(rules.decide_own_request(requested_by=request.created_by_id, decider=actor.pk))
    _, after_request = request_transition(RETURN_REQUEST, request, "insist")
    before, after = instruction_transition(instruction, "insist")
    note = clean_text("note", note, max_length=1000)
    request.state = after_request
    request.decided_by = actor
    request.decided_at = clock.now()
    request.decision_note = note
    request.save()
    set_instruction_state(instruction, after)
    resume_clocks(instruction, request.decided_at)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.RETURN_REFUSED,
        summary=f"维持派发{instruction.unit.name}：{note}",
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"request": request.pk, "clocks_resumed": True},
    )
    notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="return_refused",
        text=f"退回申请未获同意，请继续处置：{note}",
    )
    return instruction


@transaction.atomic
def do_decide_join_request(
    *,
    actor: User,
    request: JoinRequest,
    approve: bool,
    units: Sequence[Unit] | None = None,
    note: str = "",
) -> JoinRequest:
    instruction, request = lock_request(JoinRequest, request)
    rules.enforce(rules.decide_own_request(requested_by=request.created_by_id, decider=actor.pk))
    _, after = request_transition(JOIN_REQUEST, request, "approve" if approve else "refuse")
    if not approve and not (note or "").strip():
        raise InvalidInput.one("note", "required", "不同意时请说明理由")
    chosen = list(units) if units is not None else list(request.units.all())
    if approve:
        if not chosen:
            raise InvalidInput.one("units", "required", "请至少选择一个单位")
        do_add_units(
            actor=actor,
            incident=instruction.incident,
            units=chosen,
            reason=f"{instruction.unit.name}提请联动",
        )
        request.approved_units.set(chosen)
    request.state = after
    request.decided_by = actor
    request.decided_at = clock.now()
    request.decision_note = clean_text("note", note, max_length=1000, required=False)
    request.save()
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.JOIN_DECIDED,
        summary=(
            f"同意提请联动，增派{'、'.join(u.name for u in chosen)}"
            if approve
            else f"不同意提请联动：{note}"
        ),
        actor=actor,
        after={"request_state": after},
        data={"request": request.pk, "units": [u.code for u in chosen] if approve else []},
    )
    notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="join_decided",
        text="提请联动已同意" if approve else f"提请联动未获同意：{note}",
    )
    return request


@transaction.atomic
def do_decide_extension(
    *,
    actor: User,
    request: ExtensionRequest,
    grant: bool,
    note: str = "",
    due_at: datetime | None = None,
) -> ExtensionRequest:
    """The office grants (moving the result deadline, the original kept) or refuses."""
    instruction, request = lock_request(ExtensionRequest, request)
    rules.enforce(rules.decide_own_request(requested_by=request.created_by_id, decider=actor.pk))
    before_state, after = request_transition(
        EXTENSION_REQUEST, request, "grant" if grant else "refuse"
    )
    instruction_transition(instruction, "decide_extension")
    if not grant and not (note or "").strip():
        raise InvalidInput.one("note", "required", "不同意延期时请说明理由")
    now = clock.now()
    result = instruction.deadlines.get(kind=DeadlineKind.RESULT)
    new_due = due_at or request.proposed_due_at
    if grant and new_due <= result.due_at:
        raise InvalidInput.one("due_at", "too_early", "批准延至的时间应晚于现有处置时限")
    before = {"request_state": before_state, "result_due_at": iso(result.due_at)}
    request.state = after
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = clean_text("note", note, max_length=1000, required=False)
    if grant:
        request.granted_due_at = new_due
        result = extend_result_deadline(instruction, due_at=new_due, at=now)
    else:
        release_result_breach(instruction)
    request.save()
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.EXTENSION_GRANTED if grant else EventKind.EXTENSION_REFUSED,
        summary=(
            f"同意{instruction.unit.name}延期至{clock.to_beijing(new_due):%Y-%m-%d %H:%M}"
            if grant
            else f"不同意{instruction.unit.name}延期：{note}"
        ),
        actor=actor,
        before=before,
        after={"request_state": after, "result_due_at": iso(result.due_at)},
        data={
            "request": request.pk,
            "reason": request.reason,
            "new_due_at": iso(new_due) if grant else None,
            "original_due_at": iso(result.original_due_at),
        },
    )
    notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="extension_decided",
        text="延期申请已获同意" if grant else f"延期申请未获同意：{note}",
    )
    return request


@transaction.atomic
def do_accept_result(*, actor: User, instruction: Instruction, note: str = "") -> Instruction:
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "accept_result")
    now = clock.now()
    stop_deadlines(instruction, now)
    cancel_pending_requests(instruction, at=now, why="处置结果审核通过")
    set_instruction_state(instruction, after, finished_at=now)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.RESULT_ACCEPTED,
        summary=f"审核通过{instruction.unit.name}的处置结果" + (f"：{note}" if note else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
    )
    return instruction


@transaction.atomic
def do_send_back_result(*, actor: User, instruction: Instruction, reason: str) -> Instruction:
    """The office does not accept the result; the unit works on (its result clock runs again)."""
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "send_back_result")
    reason = clean_text("reason", reason, max_length=1000)
    deadline_before = reopen_result_deadline(instruction)
    set_instruction_state(instruction, after)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.RESULT_SENT_BACK,
        summary=f"退回{instruction.unit.name}的处置结果：{reason}",
        actor=actor,
        before={"state": before, "result_deadline": deadline_before},
        after={"state": after, "result_deadline": {"state": "open"}},
    )
    notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="result_sent_back",
        text=f"处置结果被退回：{reason}",
    )
    return instruction

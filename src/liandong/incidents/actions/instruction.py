"""A unit's work on its instruction: sign, call the caller, first feedback, result (its
attachments are stored and linked in attachments.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.incidents import available, rules
from liandong.incidents.actions.attachments import link_attachments
from liandong.incidents.actions.deadlines import complete_deadline, start_caller_contact_clock
from liandong.incidents.actions.kernel import (
    append_event,
    clean_text,
    instruction_transition,
    notify,
    office_unit,
    set_instruction_state,
)
from liandong.incidents.actions.locks import lock_instruction
from liandong.incidents.events import EventKind
from liandong.incidents.models import (
    RESULT_OUTCOMES,
    CallerContact,
    DeadlineKind,
    Instruction,
)


@transaction.atomic
def do_sign_instruction(*, actor: User, instruction: Instruction) -> Instruction:
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "sign")
    now = clock.now()
    late = complete_deadline(instruction, DeadlineKind.SIGN, now)
    set_instruction_state(instruction, after, signed_at=now, signed_by=actor)
    start_caller_contact_clock(instruction, now)
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.SIGNED,
        summary=f"{instruction.unit.name}签收指令" + ("（超时）" if late else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"late": bool(late)},
    )
    return instruction


@transaction.atomic
def do_record_caller_contact(
    *,
    actor: User,
    instruction: Instruction,
    contacted_at: datetime | None = None,
    reached: bool,
    note: str = "",
) -> CallerContact:
    instruction = lock_instruction(instruction)
    instruction_transition(instruction, "contact_caller")
    rules.enforce(rules.contact_caller(role=instruction.role))
    now = clock.now()
    at = contacted_at or now
    if at > now + timedelta(minutes=1):
        raise InvalidInput.one("contacted_at", "in_future", "联系时间不能晚于当前时间")
    if instruction.signed_at and at < instruction.signed_at - timedelta(minutes=30):
        raise InvalidInput.one("contacted_at", "before_signing", "联系时间不能早于签收时间")
    contact = CallerContact.objects.create(
        instruction=instruction,
        contacted_at=at,
        reached=reached,
        note=clean_text("note", note, max_length=1000, required=False),
        recorded_by=actor,
        recorded_at=now,
    )
    # The duty is to call within the limit; a caller who does not answer does not make it late.
    late = complete_deadline(instruction, DeadlineKind.CALLER_CONTACT, at)
    minutes = (
        round((at - instruction.signed_at).total_seconds() / 60, 1)
        if instruction.signed_at
        else None
    )
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.CALLER_CONTACTED if reached else EventKind.CALLER_CONTACT_ATTEMPT,
        summary=f"{instruction.unit.name}联系报警人：{'已联系上' if reached else '未联系上'}"
        + (f"（{note}）" if note else ""),
        actor=actor,
        data={"reached": reached, "minutes_after_signing": minutes, "late": bool(late)},
    )
    return contact


@transaction.atomic
def do_give_feedback(*, actor: User, instruction: Instruction, text: str) -> Instruction:
    """The first feedback: on-scene (level 1) or initial (level 2)."""
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "feedback")
    text = clean_text("text", text, max_length=5000)
    now = clock.now()
    late = complete_deadline(instruction, DeadlineKind.FEEDBACK, now)
    kind = "on_scene" if instruction.level == 1 else "initial"
    set_instruction_state(
        instruction, after, feedback_kind=kind, feedback_text=text, feedback_at=now
    )
    label = "现场反馈" if kind == "on_scene" else "初步反馈"
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.FEEDBACK,
        summary=f"{instruction.unit.name}{label}：{text[:120]}" + ("（超时）" if late else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"late": bool(late), "feedback_kind": kind, "text": text},
    )
    return instruction


@transaction.atomic
def do_report_result(
    *,
    actor: User,
    instruction: Instruction,
    outcome: str,
    text: str,
    attachment_ids: Sequence[int] = (),
) -> Instruction:
    instruction = lock_instruction(instruction)
    before, after = instruction_transition(instruction, "report_result")
    errors = []
    if outcome not in RESULT_OUTCOMES:
        errors.append(
            FieldError(
                "outcome", "invalid_choice", "处置结果应为：" + "、".join(RESULT_OUTCOMES.values())
            )
        )
    if not (text or "").strip():
        errors.append(FieldError("text", "required", "处置情况不能为空"))
    if errors:
        raise InvalidInput(errors)
    text = clean_text("text", text, max_length=5000)
    rules.enforce(available.report_result_refusal(instruction))
    now = clock.now()
    linked = link_attachments(actor, instruction, attachment_ids, "result")
    # A result given without a separate first feedback also answers the feedback deadline.
    complete_deadline(instruction, DeadlineKind.FEEDBACK, now)
    late = complete_deadline(instruction, DeadlineKind.RESULT, now)
    set_instruction_state(
        instruction, after, result_outcome=outcome, result_text=text, result_at=now
    )
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.RESULT,
        summary=f"{instruction.unit.name}反馈处置结果（{RESULT_OUTCOMES[outcome]}）：{text[:100]}"
        + ("（超时）" if late else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={
            "late": bool(late),
            "outcome": outcome,
            "text": text,
            "attachments": [a.pk for a in linked],
        },
    )
    notify(
        unit=office_unit(),
        incident=instruction.incident,
        instruction=instruction,
        kind="result",
        text=f"{instruction.unit.name}已反馈处置结果，待审核",
    )
    return instruction

"""A unit's work on its instruction: sign, call the caller, first feedback, result, attachments."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.incidents import available, files, rules
from liandong.incidents.actions.deadlines import complete_deadline, start_caller_contact_clock
from liandong.incidents.actions.kernel import (
    append_event,
    clean_text,
    instruction_transition,
    notify,
    office_unit,
    set_instruction_state,
)
from liandong.incidents.actions.locks import lock_attachments, lock_instruction
from liandong.incidents.events import EventKind
from liandong.incidents.models import (
    RESULT_OUTCOMES,
    Attachment,
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


def link_attachments(
    actor: User, instruction: Instruction, ids: Sequence[int], purpose: str
) -> list[Attachment]:
    """Attach the actor's own uploads to this instruction for a purpose (the instruction is held)."""
    if not ids:
        return []
    found = [a for a in lock_attachments(list(ids)) if a.uploaded_by_id == actor.pk]
    if len(found) != len(set(ids)):
        raise InvalidInput.one("attachment_ids", "unknown", "附件不存在或不是本人上传")
    for attachment in found:
        if attachment.instruction_id not in (None, instruction.pk):
            raise InvalidInput.one("attachment_ids", "in_use", "附件已用于其他指令")
        attachment.instruction = instruction
        attachment.purpose = purpose
        attachment.save(update_fields=["instruction", "purpose"])
    return found


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


ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
}


def store_upload(
    *,
    actor: User,
    name: str,
    content_type: str,
    data: bytes,
    instruction: Instruction | None = None,
    purpose: str = "",
) -> Attachment:
    """Check an uploaded file and store it so that it becomes visible only when the caller's
    transaction commits (see files.py). The caller holds the rows it belongs to."""
    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise InvalidInput.one(
            "file", "unsupported_type", "只能上传JPEG/PNG/WEBP/HEIC图片或PDF文件"
        )
    if not data:
        raise InvalidInput.one("file", "empty", "文件为空")
    if len(data) > settings.LIANDONG_MAX_ATTACHMENT_BYTES:
        raise InvalidInput.one("file", "too_large", "文件不能超过20MB")
    now = clock.now()
    token = secrets.token_hex(16)
    local = clock.to_beijing(now)
    stored_as = files.final_name(token, local.year, local.month)
    files.stage(token, data)
    attachment = Attachment.objects.create(
        file=stored_as,
        original_name=(name or "附件")[:200],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
        instruction=instruction,
        purpose=purpose,
    )
    transaction.on_commit(partial(files.publish, stored_as))
    return attachment


@transaction.atomic
def do_upload_attachment(
    *, actor: User, instruction: Instruction, name: str, content_type: str, data: bytes
) -> Attachment:
    """Store a photo or scanned document for a unit's working instruction (linked on use). The
    file becomes visible only when the transaction commits (see files.py)."""
    instruction = lock_instruction(instruction)
    instruction_transition(instruction, "attach")
    attachment = store_upload(
        actor=actor, name=name, content_type=content_type, data=data, instruction=instruction
    )
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.ATTACHMENT_UPLOADED,
        summary=f"{instruction.unit.name}上传附件：{attachment.original_name}",
        actor=actor,
        data={"attachment": attachment.pk, "size": attachment.size, "sha256": attachment.sha256},
    )
    return attachment


def sweep_attachment_files() -> int:
    """Worker: finish the files of committed uploads, remove those of rolled-back ones."""
    tokens = files.stale_tokens()
    if not tokens:
        return 0
    known: set[str] = set()
    for token in tokens:
        known.update(
            Attachment.objects.filter(file__endswith=f"/{token}").values_list("file", flat=True)
        )
    published, removed = files.sweep(known)
    return published + removed

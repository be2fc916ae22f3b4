"""Every write to incidents and instructions goes through a function here.

Each action is keyword-only, atomic, locks the rows it changes, checks the lifecycle table before
it changes anything, appends events, and writes notifications in the same transaction. Callers
(the API, the admin, workers, the city link) check access first (access.py) and never save state
themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from liandong import clock
from liandong.accounts.models import OFFICE_ROLES, User
from liandong.common.errors import Conflict, FieldError, IllegalTransition, InvalidInput
from liandong.incidents.lifecycle import (
    EXTENSION_REQUEST,
    FINAL_INSTRUCTION_STATES,
    INCIDENT,
    INSTRUCTION,
    JOIN_REQUEST,
    PREVIOUS,
    RETURN_REQUEST,
    InstructionState,
    RequestState,
)
from liandong.incidents.models import (
    Attachment,
    CallBack,
    CallerContact,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    ExtensionRequest,
    Incident,
    IncidentClass,
    Instruction,
    JoinRequest,
    Notification,
    ReturnRequest,
    Role,
    Satisfaction,
    Source,
    Urge,
)
from liandong.sla.deadlines import caller_contact_due
from liandong.sla.services import limits_for_level, plan_for
from liandong.units.models import Category, Unit, UnitKind

OFFICE_CODE = "office"


# --- small helpers -----------------------------------------------------------------------------


def _actor_label(actor: User | None, fallback: str = "系统") -> str:
    """How the timeline names who did something: unit (or office) and person."""
    if actor is None:
        return fallback
    if actor.unit is not None:
        return f"{actor.unit.name} {actor.display_name}"
    if actor.role in OFFICE_ROLES:
        return f"区联动办 {actor.display_name}"
    return actor.display_name


def _iso(moment: datetime) -> str:
    """Times in event data are written in Beijing time with their offset."""
    return clock.to_beijing(moment).isoformat()


def _text(field: str, value: str | None, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput.one(field, "required", f"{field} 不能为空")
    if len(value) > max_length:
        raise InvalidInput.one(field, "too_long", f"{field} 不能超过{max_length}个字符")
    return value


EventHook = Callable[[Event], object]
_event_hooks: list[EventHook] = []


def register_event_hook(hook: EventHook) -> None:
    """Let another app react to events inside the same transaction (the city link writes its
    outbound reports this way, so a committed step always has its report)."""
    if hook not in _event_hooks:
        _event_hooks.append(hook)


def _event(
    *,
    incident: Incident,
    kind: str,
    summary: str,
    actor: User | None,
    actor_label: str | None = None,
    instruction: Instruction | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    event = Event.objects.create(
        incident=incident,
        instruction=instruction,
        kind=kind,
        summary=summary[:300],
        actor=actor,
        actor_label=actor_label or _actor_label(actor),
        occurred_at=at or clock.now(),
        before=before or {},
        after=after or {},
        data=data or {},
    )
    for hook in _event_hooks:
        hook(event)
    return event


def _office() -> Unit:
    return Unit.objects.get(code=OFFICE_CODE)


def _notify(
    *,
    unit: Unit,
    incident: Incident,
    kind: str,
    text: str,
    instruction: Instruction | None = None,
) -> None:
    Notification.objects.create(
        unit=unit,
        incident=incident,
        instruction=instruction,
        kind=kind,
        text=text[:300],
        created_at=clock.now(),
    )


def _lock_incident(incident: Incident | int) -> Incident:
    pk = incident if isinstance(incident, int) else incident.pk
    return Incident.objects.select_for_update().get(pk=pk)


def _lock_instruction(instruction: Instruction | int) -> Instruction:
    """Lock the instruction's incident, then the instruction. Every action takes its locks in the
    order incident → instruction → request/deadline, so two actions can never deadlock."""
    pk = instruction if isinstance(instruction, int) else instruction.pk
    incident_pk = Instruction.objects.values_list("incident_id", flat=True).get(pk=pk)
    Incident.objects.select_for_update().filter(pk=incident_pk).exists()
    Instruction.objects.select_for_update().filter(pk=pk).exists()
    # Related rows are read after the lock so that they reflect the committed state.
    return Instruction.objects.select_related("incident", "unit").get(pk=pk)


def _transition(instruction: Instruction, action: str) -> tuple[str, str]:
    """Check the table; return (before, after) without saving."""
    before = instruction.state
    after = INSTRUCTION.next_state(before, action)
    if after == PREVIOUS:
        after = instruction.previous_state or InstructionState.PENDING_SIGN
    return before, after


def _set_state(instruction: Instruction, after: str, **fields: Any) -> None:
    if after != instruction.state:
        instruction.previous_state = instruction.state
        instruction.state = after
    for name, value in fields.items():
        setattr(instruction, name, value)
    instruction.save()


def _open_instructions(incident: Incident) -> QuerySet[Instruction]:
    return incident.instructions.exclude(state__in=[str(s) for s in FINAL_INSTRUCTION_STATES])


def _linkage_unit(field: str, unit: Unit) -> Unit:
    if (
        not unit.active
        or unit.tier is None
        or unit.kind
        not in (
            UnitKind.DEPARTMENT,
            UnitKind.STREET,
        )
    ):
        raise InvalidInput.one(field, "not_linkage_unit", f"{unit.name}不是可派发的联动单位")
    return unit


# --- deadlines ---------------------------------------------------------------------------------


def _create_deadlines(instruction: Instruction) -> None:
    limits = limits_for_level(instruction.level)
    plan = plan_for(
        level=instruction.level,
        dispatched_at=instruction.dispatched_at,
        tier=instruction.tier,
        role=instruction.role,
    )
    for kind, due, limit in (
        (DeadlineKind.SIGN, plan.sign, limits.sign),
        (DeadlineKind.FEEDBACK, plan.feedback, limits.feedback),
        (DeadlineKind.RESULT, plan.result, limits.result),
    ):
        Deadline.objects.create(
            instruction=instruction,
            kind=kind,
            starts_at=instruction.dispatched_at,
            limit_amount=limit.amount,
            limit_unit=limit.unit.value,
            due_at=due.at,
            original_due_at=due.at,
            provisional=due.provisional,
        )


def _complete_deadline(instruction: Instruction, kind: str, at: datetime) -> bool | None:
    """Mark an open deadline as met or missed. Returns `late`, or None if there was none open."""
    deadline = instruction.deadlines.filter(kind=kind, state=DeadlineState.OPEN).first()
    if deadline is None:
        return None
    late = at > deadline.due_at
    deadline.state = DeadlineState.MISSED if late else DeadlineState.MET
    deadline.completed_at = at
    deadline.save(update_fields=["state", "completed_at"])
    return late


def _stop_deadlines(instruction: Instruction, at: datetime) -> None:
    instruction.deadlines.filter(state=DeadlineState.OPEN).update(
        state=DeadlineState.STOPPED, stopped_at=at
    )


@transaction.atomic
def do_recompute_deadline(*, deadline: Deadline, due_at: datetime, provisional: bool) -> None:
    """Move a working-day deadline after the holiday calendar changed."""
    locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if locked.state != DeadlineState.OPEN:
        return
    instruction = Instruction.objects.select_related("incident", "unit").get(
        pk=locked.instruction_id
    )
    before = {"due_at": _iso(locked.due_at), "provisional": locked.provisional}
    locked.due_at = due_at
    locked.original_due_at = due_at
    locked.provisional = provisional
    locked.save(update_fields=["due_at", "original_due_at", "provisional"])
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="deadline_recomputed",
        summary=f"节假日安排更新，{instruction.unit.name}{locked.get_kind_display()}时限重新计算",
        actor=None,
        before=before,
        after={"due_at": _iso(due_at), "provisional": provisional},
    )


@transaction.atomic
def do_note_overdue(*, deadline: Deadline) -> bool:
    """Worker: record once that an open deadline has passed, and tell the unit and the office."""
    now = clock.now()
    locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if locked.state != DeadlineState.OPEN or locked.overdue_noticed_at or locked.due_at > now:
        return False
    locked.overdue_noticed_at = now
    locked.save(update_fields=["overdue_noticed_at"])
    instruction = Instruction.objects.select_related("incident", "unit").get(
        pk=locked.instruction_id
    )
    text = f"{instruction.unit.name}{locked.get_kind_display()}已超时（警情{instruction.incident.incident_id}）"
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="deadline_overdue",
        summary=text,
        actor=None,
        data={"kind": locked.kind, "due_at": _iso(locked.due_at)},
    )
    _notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="overdue",
        text=text,
    )
    _notify(
        unit=_office(),
        incident=instruction.incident,
        instruction=instruction,
        kind="overdue",
        text=text,
    )
    return True


# --- intake and triage -------------------------------------------------------------------------


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
        "received_at": _iso(received),
        "police_dispatched": police_dispatched,
        "city_category": city_category,
    }
    incident = Incident.objects.create(
        incident_id=f"pending-{now.timestamp()}-{actor.pk}",
        source=Source.MANUAL,
        received_at=received,
        accepted_at=now,
        caller_name=_text("caller_name", caller_name, max_length=50, required=False),
        caller_phone=_phone(caller_phone),
        address=_text("address", address, max_length=200),
        content=_text("content", content, max_length=5000),
        city_category=_text("city_category", city_category, max_length=50, required=False),
        police_dispatched=police_dispatched,
        raw_request=payload,
        created_by=actor,
    )
    incident.incident_id = f"QY{clock.to_beijing(now):%Y%m%d}{incident.pk:06d}"
    incident.save(update_fields=["incident_id"])
    _event(
        incident=incident,
        kind="created",
        summary=f"人工录入警情：{incident.address}",
        actor=actor,
        after={"status": incident.status},
    )
    _notify(
        unit=_office(),
        incident=incident,
        kind="new_incident",
        text=f"新警情待研判：{incident.address}",
    )
    return incident


@transaction.atomic
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
    same content returns the stored one, a different content under a known id is a Conflict."""
    existing = Incident.objects.filter(incident_id=incident_id).first()
    if existing is not None:
        if existing.source == Source.CITY and existing.content_hash == content_hash:
            return existing, False
        raise Conflict(f"警情编号{incident_id}已存在且内容不同", code="conflict")
    now = clock.now()
    incident = Incident.objects.create(
        incident_id=incident_id,
        source=Source.CITY,
        received_at=received_at,
        transferred_at=transferred_at,
        accepted_at=now,
        caller_name=caller_name,
        caller_phone=caller_phone,
        address=address,
        longitude=longitude,
        latitude=latitude,
        coordinate_system=coordinate_system,
        content=content,
        city_category=city_category,
        police_dispatched=police_dispatched,
        suggested_urgency=urgency,
        repeat_calls=repeat_calls,
        raw_request=raw_request,
        raw_body=raw_body,
        content_hash=content_hash,
    )
    _event(
        incident=incident,
        kind="received",
        summary=f"收到市平台警情：{address}",
        actor=None,
        actor_label="市安管平台",
        after={"status": incident.status},
    )
    _notify(unit=_office(), incident=incident, kind="new_incident", text=f"新警情待研判：{address}")
    return incident, True


@transaction.atomic
def do_supplement_incident(*, incident: Incident, text: str, source: str = "市安管平台") -> None:
    """More information from the caller; it reaches every unit holding the incident."""
    incident = _lock_incident(incident)
    INCIDENT.next_state(incident.status, "supplement")
    text = _text("text", text, max_length=2000)
    _event(
        incident=incident,
        kind="supplemented",
        summary=f"补充警情信息：{text[:200]}",
        actor=None,
        actor_label=source,
        data={"text": text},
    )
    _notify(unit=_office(), incident=incident, kind="supplement", text=f"警情补充：{text}")
    for instruction in _open_instructions(incident).select_related("unit"):
        _notify(
            unit=instruction.unit,
            incident=incident,
            instruction=instruction,
            kind="supplement",
            text=f"警情补充：{text}",
        )


@transaction.atomic
def do_city_urge_incident(*, incident: Incident, text: str = "") -> int:
    """The caller called again to press (催办 from the city): every unit still working on it gets
    a recorded urge (counted against it); returns how many units were urged."""
    incident = _lock_incident(incident)
    INCIDENT.next_state(incident.status, "supplement")
    urged = 0
    working = {InstructionState.PENDING_SIGN, InstructionState.SIGNED, InstructionState.IN_PROGRESS}
    for instruction in _open_instructions(incident).select_related("unit"):
        if instruction.state in working:
            do_urge_instruction(actor=None, instruction=instruction, note=text, by_city=True)
            urged += 1
        else:  # waiting for the office's decision: told, not counted against it
            _notify(
                unit=instruction.unit,
                incident=incident,
                instruction=instruction,
                kind="urged",
                text=f"市平台催办：{text or incident.address}",
            )
    if urged == 0:
        _event(
            incident=incident,
            kind="urged",
            summary="市平台催办" + (f"：{text}" if text else ""),
            actor=None,
            actor_label="市安管平台",
            data={"by_city": True},
        )
        _notify(
            unit=_office(),
            incident=incident,
            kind="urged",
            text=f"市平台催办：{text or incident.address}",
        )
    return urged


@transaction.atomic
def do_record_phone_reveal(*, actor: User, incident: Incident) -> None:
    """The caller's number is shown masked; who looked at it in full is on record."""
    _event(
        incident=incident,
        kind="caller_phone_revealed",
        summary=f"{_actor_label(actor)}查看了报警人完整电话",
        actor=actor,
    )


def _phone(value: str) -> str:
    value = (value or "").strip()
    if not 3 <= len(value) <= 20 or any(c not in "0123456789+- " for c in value):
        raise InvalidInput.one(
            "caller_phone", "invalid", "联系电话应为3至20位数字，可含 + - 和空格"
        )
    return value


@transaction.atomic
def do_dispatch_incident(
    *,
    actor: User,
    incident: Incident,
    incident_class: str,
    level: int,
    category: Category,
    primary_unit: Unit,
    cooperating_units: Sequence[Unit] = (),
    street: Unit | None = None,
    note: str = "",
) -> list[Instruction]:
    """Triage and dispatch: one instruction per unit, all at the same moment."""
    incident = _lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "dispatch")
    errors: list[FieldError] = []
    if incident_class not in IncidentClass.values:
        errors.append(
            FieldError("incident_class", "invalid_choice", "处置类别应为源头分流类或联动处置类")
        )
    if level not in (1, 2):
        errors.append(FieldError("level", "invalid_choice", "指令级别应为1（紧急）或2（非紧急）"))
    if not category.active:
        errors.append(FieldError("category", "inactive", f"事项类别「{category.name}」已停用"))
    cooperating = list(dict.fromkeys(cooperating_units))
    if primary_unit in cooperating:
        errors.append(FieldError("cooperating_units", "duplicate", "主责单位不能同时是协同单位"))
    if incident_class == IncidentClass.SOURCE_DIVERSION and cooperating:
        errors.append(
            FieldError("cooperating_units", "not_allowed", "源头分流类警情只派发给一个主责单位")
        )
    if street is not None and street.kind != UnitKind.STREET:
        errors.append(FieldError("street", "not_street", f"{street.name}不是街道"))
    if errors:
        raise InvalidInput(errors)
    _linkage_unit("primary_unit", primary_unit)
    for unit in cooperating:
        _linkage_unit("cooperating_units", unit)

    now = clock.now()
    before = {"status": incident.status}
    incident.status = after
    incident.incident_class = incident_class
    incident.level = level
    incident.category = category
    incident.street = street
    incident.triage_note = note
    incident.dispatched_at = now
    incident.save()
    instructions = [
        _new_instruction(incident=incident, unit=primary_unit, role=Role.PRIMARY, at=now, note=note)
    ] + [
        _new_instruction(incident=incident, unit=u, role=Role.COOPERATING, at=now, note=note)
        for u in cooperating
    ]
    _event(
        incident=incident,
        kind="dispatched",
        summary=(
            f"研判为{incident.get_incident_class_display()}、{incident.get_level_display()}，"
            f"事项类别{category.name}，主责单位{primary_unit.name}"
            + (f"，协同单位{'、'.join(u.name for u in cooperating)}" if cooperating else "")
        ),
        actor=actor,
        before=before,
        after={
            "status": incident.status,
            "incident_class": incident_class,
            "level": level,
            "category": category.code,
            "primary_unit": primary_unit.code,
            "cooperating_units": [u.code for u in cooperating],
            "street": street.code if street else None,
        },
    )
    return instructions


def _new_instruction(
    *,
    incident: Incident,
    unit: Unit,
    role: str,
    at: datetime,
    note: str = "",
    reassigned_from: Instruction | None = None,
) -> Instruction:
    assert incident.level is not None and unit.tier is not None
    if _open_instructions(incident).filter(unit=unit).exists():
        raise InvalidInput.one("unit", "already_assigned", f"{unit.name}已有该警情的在办指令")
    instruction = Instruction.objects.create(
        incident=incident,
        unit=unit,
        role=role,
        level=incident.level,
        tier=unit.tier,
        dispatched_at=at,
        note=note,
        reassigned_from=reassigned_from,
    )
    _create_deadlines(instruction)
    _notify(
        unit=unit,
        incident=incident,
        instruction=instruction,
        kind="dispatched",
        text=f"新指令（{instruction.get_role_display()}）：{incident.address}",
    )
    return instruction


@transaction.atomic
def do_return_to_city(*, actor: User, incident: Incident, reason: str) -> Incident:
    incident = _lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "return_to_city")
    reason = _text("reason", reason, max_length=500)
    before = {"status": incident.status}
    incident.status = after
    incident.return_reason = reason
    incident.save()
    _event(
        incident=incident,
        kind="returned_to_city",
        summary=f"退回市平台：{reason}",
        actor=actor,
        before=before,
        after={"status": after, "reason": reason},
    )
    return incident


@transaction.atomic
def do_merge_incident(*, actor: User, incident: Incident, into: Incident) -> Incident:
    """A repeat call: merge a new incident into an open one; the units holding that one are told."""
    if incident.pk == into.pk:
        raise InvalidInput.one("into", "same_incident", "不能合并到警情本身")
    # Lock both in a fixed order so that two merges cannot deadlock.
    first, second = sorted([incident.pk, into.pk])
    locked = {i.pk: i for i in Incident.objects.select_for_update().filter(pk__in=[first, second])}
    incident, into = locked[incident.pk], locked[into.pk]
    after = INCIDENT.next_state(incident.status, "merge")
    INCIDENT.next_state(into.status, "absorb_repeat")
    before = {"status": incident.status}
    incident.status = after
    incident.merged_into = into
    incident.save()
    into.repeat_calls += 1 + incident.repeat_calls
    into.save(update_fields=["repeat_calls"])
    _event(
        incident=incident,
        kind="merged",
        summary=f"作为重复警情并入{into.incident_id}",
        actor=actor,
        before=before,
        after={"status": after, "merged_into": into.incident_id},
    )
    _event(
        incident=into,
        kind="repeat_call",
        summary=f"重复警情{incident.incident_id}并入：{incident.content[:100]}",
        actor=actor,
        data={"repeat": incident.incident_id, "repeat_calls": into.repeat_calls},
    )
    for instruction in _open_instructions(into).select_related("unit"):
        _notify(
            unit=instruction.unit,
            incident=into,
            instruction=instruction,
            kind="repeat_call",
            text=f"报警人再次来电（重复警情{incident.incident_id}），请加快处置",
        )
    return incident


# --- unit actions ------------------------------------------------------------------------------


@transaction.atomic
def do_sign_instruction(*, actor: User, instruction: Instruction) -> Instruction:
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "sign")
    now = clock.now()
    late = _complete_deadline(instruction, DeadlineKind.SIGN, now)
    _set_state(instruction, after, signed_at=now, signed_by=actor)
    limits = limits_for_level(instruction.level)
    if instruction.role == Role.PRIMARY and instruction.tier == 1 and limits.caller_contact_minutes:
        due = caller_contact_due(now, limits.caller_contact_minutes)
        Deadline.objects.create(
            instruction=instruction,
            kind=DeadlineKind.CALLER_CONTACT,
            starts_at=now,
            limit_amount=limits.caller_contact_minutes,
            limit_unit="minutes",
            due_at=due,
            original_due_at=due,
        )
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="signed",
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
    instruction = _lock_instruction(instruction)
    _transition(instruction, "contact_caller")
    if instruction.role != Role.PRIMARY:
        raise IllegalTransition("只有主责单位需要记录联系报警人情况", code="not_primary")
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
        note=_text("note", note, max_length=1000, required=False),
        recorded_by=actor,
        recorded_at=now,
    )
    # The duty is to call within the limit; a caller who does not answer does not make it late.
    late = _complete_deadline(instruction, DeadlineKind.CALLER_CONTACT, at)
    minutes = (
        round((at - instruction.signed_at).total_seconds() / 60, 1)
        if instruction.signed_at
        else None
    )
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="caller_contacted" if reached else "caller_contact_attempt",
        summary=f"{instruction.unit.name}联系报警人：{'已联系上' if reached else '未联系上'}"
        + (f"（{note}）" if note else ""),
        actor=actor,
        data={"reached": reached, "minutes_after_signing": minutes, "late": bool(late)},
    )
    return contact


def _attachments(
    actor: User, instruction: Instruction, ids: Sequence[int], purpose: str
) -> list[Attachment]:
    if not ids:
        return []
    found = list(Attachment.objects.select_for_update().filter(pk__in=ids, uploaded_by=actor))
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
def do_give_feedback(*, actor: User, instruction: Instruction, text: str) -> Instruction:
    """The first feedback: on-scene (level 1) or initial (level 2)."""
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "feedback")
    text = _text("text", text, max_length=5000)
    now = clock.now()
    late = _complete_deadline(instruction, DeadlineKind.FEEDBACK, now)
    kind = "on_scene" if instruction.level == 1 else "initial"
    _set_state(instruction, after, feedback_kind=kind, feedback_text=text, feedback_at=now)
    label = "现场反馈" if kind == "on_scene" else "初步反馈"
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="feedback",
        summary=f"{instruction.unit.name}{label}：{text[:120]}" + ("（超时）" if late else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"late": bool(late), "feedback_kind": kind, "text": text},
    )
    return instruction


RESULT_OUTCOMES = {
    "resolved": "已解决",
    "partially_resolved": "部分解决",
    "unresolved": "未能解决",
    "no_issue_found": "现场无异常",
    "referred": "已转其他渠道处理",
}


@transaction.atomic
def do_report_result(
    *,
    actor: User,
    instruction: Instruction,
    outcome: str,
    text: str,
    attachment_ids: Sequence[int] = (),
) -> Instruction:
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "report_result")
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
    text = _text("text", text, max_length=5000)
    if instruction.role == Role.PRIMARY and not instruction.caller_contacts.exists():
        raise IllegalTransition(
            "主责单位须先记录联系报警人情况，再反馈处置结果", code="caller_not_contacted"
        )
    now = clock.now()
    files = _attachments(actor, instruction, attachment_ids, "result")
    # A result given without a separate first feedback also answers the feedback deadline.
    _complete_deadline(instruction, DeadlineKind.FEEDBACK, now)
    late = _complete_deadline(instruction, DeadlineKind.RESULT, now)
    _set_state(instruction, after, result_outcome=outcome, result_text=text, result_at=now)
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="result",
        summary=f"{instruction.unit.name}反馈处置结果（{RESULT_OUTCOMES[outcome]}）：{text[:100]}"
        + ("（超时）" if late else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={
            "late": bool(late),
            "outcome": outcome,
            "text": text,
            "attachments": [f.pk for f in files],
        },
    )
    _notify(
        unit=_office(),
        incident=instruction.incident,
        instruction=instruction,
        kind="result",
        text=f"{instruction.unit.name}已反馈处置结果，待审核",
    )
    return instruction


@transaction.atomic
def do_request_return(*, actor: User, instruction: Instruction, reason: str) -> ReturnRequest:
    """The unit says the instruction is not its responsibility (退回)."""
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "request_return")
    reason = _text("reason", reason, max_length=1000)
    request = ReturnRequest.objects.create(
        instruction=instruction,
        state=RequestState.PENDING_OFFICE,
        reason=reason,
        created_by=actor,
        created_at=clock.now(),
        state_before=before,
    )
    _set_state(instruction, after)
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="return_requested",
        summary=f"{instruction.unit.name}申请退回指令：{reason}",
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"request": request.pk},
    )
    _notify(
        unit=_office(),
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
    instruction = _lock_instruction(instruction)
    _transition(instruction, "request_join")
    reason = _text("reason", reason, max_length=1000)
    wanted = list(dict.fromkeys(units))
    if not wanted:
        raise InvalidInput.one("units", "required", "请选择需要联动的单位")
    for unit in wanted:
        _linkage_unit("units", unit)
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
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="join_requested",
        summary=f"{instruction.unit.name}提请联动：{'、'.join(u.name for u in wanted)}（{reason}）",
        actor=actor,
        data={"request": request.pk, "units": [u.code for u in wanted]},
    )
    _notify(
        unit=_office(),
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
    instruction = _lock_instruction(instruction)
    _transition(instruction, "request_extension")
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
    if now >= result.due_at:
        raise IllegalTransition(
            "处置时限已过，不能再申请延期；延期申请须在时限内提出", code="deadline_passed"
        )
    if ExtensionRequest.objects.filter(
        instruction=instruction,
        state__in=[RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE],
    ).exists():
        raise IllegalTransition("该指令已有待审批的延期申请", code="pending_request")
    document = None
    if document_id is not None:
        document = _attachments(actor, instruction, [document_id], "extension")[0]
    request = ExtensionRequest.objects.create(
        instruction=instruction,
        state=RequestState.PENDING_LEADER,
        reason=_text("reason", reason, max_length=1000),
        progress=_text("progress", progress, max_length=5000),
        proposed_due_at=proposed_due_at,
        document=document,
        created_by=actor,
        created_at=now,
    )
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="extension_requested",
        summary=f"{instruction.unit.name}报送进展并申请延期至{clock.to_beijing(proposed_due_at):%m-%d %H:%M}：{reason}",
        actor=actor,
        data={"request": request.pk, "proposed_due_at": _iso(proposed_due_at)},
    )
    return request


@transaction.atomic
def do_leader_decide_extension(
    *, actor: User, request: ExtensionRequest, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The unit's leader in charge signs off (主管领导签字) before the office sees it."""
    instruction = _lock_instruction(request.instruction_id)
    request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    action = "leader_approve" if approve else "leader_reject"
    after = EXTENSION_REQUEST.next_state(request.state, action)
    if not approve and not (note or "").strip():
        raise InvalidInput.one("note", "required", "不同意时请说明理由")
    before = request.state
    request.state = after
    request.leader = actor
    request.leader_decided_at = clock.now()
    request.leader_note = _text("note", note, max_length=1000, required=False)
    request.save()
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="extension_leader_decided",
        summary=f"{instruction.unit.name}主管领导{'同意' if approve else '不同意'}延期申请"
        + (f"：{note}" if note else ""),
        actor=actor,
        before={"request_state": before},
        after={"request_state": after},
        data={"request": request.pk},
    )
    if approve:
        _notify(
            unit=_office(),
            incident=instruction.incident,
            instruction=instruction,
            kind="extension_requested",
            text=f"{instruction.unit.name}申请延期，待审核",
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
    instruction = _lock_instruction(request.instruction_id)
    request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    after = EXTENSION_REQUEST.next_state(request.state, "grant" if grant else "refuse")
    _transition(instruction, "decide_extension")
    if not grant and not (note or "").strip():
        raise InvalidInput.one("note", "required", "不同意延期时请说明理由")
    now = clock.now()
    result = Deadline.objects.select_for_update().get(
        instruction=instruction, kind=DeadlineKind.RESULT
    )
    new_due = due_at or request.proposed_due_at
    if grant and new_due <= result.due_at:
        raise InvalidInput.one("due_at", "too_early", "批准延至的时间应晚于现有处置时限")
    before = {"request_state": request.state, "result_due_at": _iso(result.due_at)}
    request.state = after
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = _text("note", note, max_length=1000, required=False)
    if grant:
        request.granted_due_at = new_due
        result.due_at = new_due
        result.provisional = False
        result.extended_at = now
        result.overdue_noticed_at = None
        if result.completed_at is not None:
            result.state = (
                DeadlineState.MISSED if result.completed_at > new_due else DeadlineState.MET
            )
        result.save()
    request.save()
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="extension_granted" if grant else "extension_refused",
        summary=(
            f"同意{instruction.unit.name}延期至{clock.to_beijing(new_due):%Y-%m-%d %H:%M}"
            if grant
            else f"不同意{instruction.unit.name}延期：{note}"
        ),
        actor=actor,
        before=before,
        after={"request_state": after, "result_due_at": _iso(result.due_at)},
        data={
            "request": request.pk,
            "reason": request.reason,
            "new_due_at": _iso(new_due) if grant else None,
            "original_due_at": _iso(result.original_due_at),
        },
    )
    _notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="extension_decided",
        text="延期申请已获同意" if grant else f"延期申请未获同意：{note}",
    )
    return request


# --- office actions on instructions ------------------------------------------------------------


@transaction.atomic
def do_urge_instruction(
    *, actor: User | None, instruction: Instruction, note: str = "", by_city: bool = False
) -> Urge:
    """催办: a recorded reminder; counted against the unit."""
    instruction = _lock_instruction(instruction)
    _transition(instruction, "urge")
    urge = Urge.objects.create(
        instruction=instruction,
        by_city=by_city,
        note=_text("note", note, max_length=2000, required=False),
        created_by=actor,
        created_at=clock.now(),
    )
    who = "市平台" if by_city else "区联动办"
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="urged",
        summary=f"{who}催办{instruction.unit.name}" + (f"：{note}" if note else ""),
        actor=actor,
        actor_label=_actor_label(actor, "市安管平台" if by_city else "系统"),
        data={"urge": urge.pk, "by_city": by_city},
    )
    _notify(
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
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "reassign")
    reason = _text("reason", reason, max_length=1000)
    _linkage_unit("unit", unit)
    if unit.pk == instruction.unit_id:
        raise InvalidInput.one("unit", "same_unit", "改派单位不能是原单位")
    now = clock.now()
    _stop_deadlines(instruction, now)
    _set_state(instruction, after, finished_at=now)
    incident = Incident.objects.get(pk=instruction.incident_id)
    new = _new_instruction(
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
        pending.state = RETURN_REQUEST.next_state(pending.state, "reassign")
        pending.decided_by = actor
        pending.decided_at = now
        pending.decision_note = reason
        pending.reassigned_to = new
        pending.save()
    _cancel_pending_requests(instruction, now)
    _event(
        incident=incident,
        instruction=instruction,
        kind="reassigned",
        summary=f"改派：{instruction.unit.name} → {unit.name}（{reason}）",
        actor=actor,
        before={"state": before, "unit": instruction.unit.code},
        after={"state": after, "unit": unit.code, "new_instruction": new.pk},
    )
    _notify(
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
    _lock_instruction(request.instruction_id)
    locked = ReturnRequest.objects.select_for_update().get(pk=request.pk)
    RETURN_REQUEST.next_state(locked.state, "reassign" if reassign_to else "insist")
    if reassign_to is not None:
        do_reassign_instruction(
            actor=actor, instruction=locked.instruction, unit=reassign_to, reason=note
        )
    else:
        do_insist_on_instruction(actor=actor, request=locked, note=note)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def do_insist_on_instruction(*, actor: User, request: ReturnRequest, note: str) -> Instruction:
    """The office refuses a return: the unit keeps the instruction (维持原派发)."""
    instruction = _lock_instruction(request.instruction_id)
    request = ReturnRequest.objects.select_for_update().get(pk=request.pk)
    after_request = RETURN_REQUEST.next_state(request.state, "insist")
    before, after = _transition(instruction, "insist")
    note = _text("note", note, max_length=1000)
    now = clock.now()
    request.state = after_request
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = note
    request.save()
    _set_state(instruction, after)
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="return_refused",
        summary=f"维持派发{instruction.unit.name}：{note}",
        actor=actor,
        before={"state": before},
        after={"state": after},
        data={"request": request.pk},
    )
    _notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="return_refused",
        text=f"退回申请未获同意，请继续处置：{note}",
    )
    return instruction


@transaction.atomic
def do_add_units(
    *, actor: User, incident: Incident, units: Sequence[Unit], reason: str = ""
) -> list[Instruction]:
    """增派: more cooperating units for a dispatched incident."""
    incident = _lock_incident(incident)
    INCIDENT.next_state(incident.status, "add_units")
    wanted = list(dict.fromkeys(units))
    if not wanted:
        raise InvalidInput.one("units", "required", "请选择增派的单位")
    if incident.incident_class == IncidentClass.SOURCE_DIVERSION:
        incident.incident_class = IncidentClass.LINKED_DISPOSAL
        incident.save(update_fields=["incident_class"])
    now = clock.now()
    for unit in wanted:
        _linkage_unit("units", unit)
    created = [
        _new_instruction(incident=incident, unit=u, role=Role.COOPERATING, at=now, note=reason)
        for u in wanted
    ]
    _event(
        incident=incident,
        kind="units_added",
        summary=f"增派协同单位：{'、'.join(u.name for u in wanted)}"
        + (f"（{reason}）" if reason else ""),
        actor=actor,
        after={"units": [u.code for u in wanted]},
    )
    return created


@transaction.atomic
def do_decide_join_request(
    *,
    actor: User,
    request: JoinRequest,
    approve: bool,
    units: Sequence[Unit] | None = None,
    note: str = "",
) -> JoinRequest:
    instruction = _lock_instruction(request.instruction_id)
    request = JoinRequest.objects.select_for_update().get(pk=request.pk)
    after = JOIN_REQUEST.next_state(request.state, "approve" if approve else "refuse")
    if not approve and not (note or "").strip():
        raise InvalidInput.one("note", "required", "不同意时请说明理由")
    asked = list(request.units.all())
    chosen = list(units) if units is not None else asked
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
    request.decision_note = _text("note", note, max_length=1000, required=False)
    request.save()
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="join_decided",
        summary=(
            f"同意提请联动，增派{'、'.join(u.name for u in chosen)}"
            if approve
            else f"不同意提请联动：{note}"
        ),
        actor=actor,
        after={"request_state": after},
        data={"request": request.pk, "units": [u.code for u in chosen] if approve else []},
    )
    _notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="join_decided",
        text="提请联动已同意" if approve else f"提请联动未获同意：{note}",
    )
    return request


@transaction.atomic
def do_accept_result(*, actor: User, instruction: Instruction, note: str = "") -> Instruction:
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "accept_result")
    now = clock.now()
    _stop_deadlines(instruction, now)
    _cancel_pending_requests(instruction, now)
    _set_state(instruction, after, finished_at=now)
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="result_accepted",
        summary=f"审核通过{instruction.unit.name}的处置结果" + (f"：{note}" if note else ""),
        actor=actor,
        before={"state": before},
        after={"state": after},
    )
    return instruction


@transaction.atomic
def do_send_back_result(*, actor: User, instruction: Instruction, reason: str) -> Instruction:
    """The office does not accept the result; the unit works on (its result clock runs again)."""
    instruction = _lock_instruction(instruction)
    before, after = _transition(instruction, "send_back_result")
    reason = _text("reason", reason, max_length=1000)
    result = instruction.deadlines.get(kind=DeadlineKind.RESULT)
    deadline_before = {
        "state": result.state,
        "completed_at": _iso(result.completed_at) if result.completed_at else None,
    }
    result.state = DeadlineState.OPEN
    result.completed_at = None
    result.save(update_fields=["state", "completed_at"])
    _set_state(instruction, after)
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="result_sent_back",
        summary=f"退回{instruction.unit.name}的处置结果：{reason}",
        actor=actor,
        before={"state": before, "result_deadline": deadline_before},
        after={"state": after, "result_deadline": {"state": "open"}},
    )
    _notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="result_sent_back",
        text=f"处置结果被退回：{reason}",
    )
    return instruction


def _cancel_pending_requests(instruction: Instruction, at: datetime) -> None:
    pending = [RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE]
    for model in (ExtensionRequest, JoinRequest, ReturnRequest):
        model.objects.filter(instruction=instruction, state__in=pending).update(  # type: ignore[attr-defined]
            state=RequestState.CANCELLED, decided_at=at
        )


# --- office actions on incidents ---------------------------------------------------------------


@transaction.atomic
def do_close_incident(*, actor: User, incident: Incident, outcome: str) -> Incident:
    incident = _lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "close")
    outcome = _text("outcome", outcome, max_length=5000)
    open_ones = list(_open_instructions(incident).select_related("unit"))
    if open_ones:
        names = "、".join(f"{i.unit.name}（{i.get_state_display()}）" for i in open_ones)
        raise IllegalTransition(f"尚有指令未完成，不能办结：{names}", code="open_instructions")
    if not incident.instructions.filter(state=InstructionState.DONE).exists():
        raise IllegalTransition("没有已完成的指令，不能办结", code="nothing_done")
    now = clock.now()
    before = {"status": incident.status}
    incident.status = after
    incident.outcome = outcome
    incident.closed_at = now
    incident.save()
    _event(
        incident=incident,
        kind="closed",
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
    incident = _lock_incident(incident)
    INCIDENT.next_state(incident.status, "call_back")
    if satisfaction not in Satisfaction.values:
        raise InvalidInput.one("satisfaction", "invalid_choice", "满意度应为满意、基本满意或不满意")
    if reopen and satisfaction != Satisfaction.UNSATISFIED:
        raise InvalidInput.one("reopen", "not_allowed", "只有不满意的回访可以重新处置")
    note = _text("note", note, max_length=2000, required=False)
    now = clock.now()
    callback = CallBack.objects.create(
        incident=incident,
        satisfaction=satisfaction,
        note=note,
        reopened=reopen,
        created_by=actor,
        created_at=now,
    )
    incident.satisfaction = satisfaction
    incident.save(update_fields=["satisfaction"])
    _event(
        incident=incident,
        kind="called_back",
        summary=f"回访报警人：{Satisfaction(satisfaction).label}" + (f"（{note}）" if note else ""),
        actor=actor,
        data={"satisfaction": satisfaction, "reopen": reopen},
    )
    if reopen:
        _reopen(actor=actor, incident=incident, note=note, at=now)
    return callback


def _reopen(*, actor: User, incident: Incident, note: str, at: datetime) -> None:
    after = INCIDENT.next_state(incident.status, "reopen")
    before = {
        "status": incident.status,
        "closed_at": _iso(incident.closed_at) if incident.closed_at else None,
    }
    incident.status = after
    incident.closed_at = None
    incident.save()
    primary = incident.instructions.filter(role=Role.PRIMARY).select_related("unit").last()
    if primary is not None:
        _new_instruction(
            incident=incident,
            unit=primary.unit,
            role=Role.PRIMARY,
            at=at,
            note=f"回访不满意，重新处置：{note}",
        )
    _event(
        incident=incident,
        kind="reopened",
        summary="报警人不满意，重新处置" + (f"，重新派发{primary.unit.name}" if primary else ""),
        actor=actor,
        before=before,
        after={"status": after},
    )


@transaction.atomic
def do_withdraw_incident(
    *, actor: User | None, incident: Incident, reason: str, by_city: bool = True
) -> Incident:
    """The city takes the incident back: every open clock stops, every unit holding it is told."""
    incident = _lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "withdraw")
    reason = _text("reason", reason, max_length=2000)
    now = clock.now()
    cancelled = []
    for instruction in _open_instructions(incident).select_for_update():
        instruction = _lock_instruction(instruction)
        before_state, after_state = _transition(instruction, "cancel")
        _stop_deadlines(instruction, now)
        _cancel_pending_requests(instruction, now)
        _set_state(instruction, after_state, finished_at=now)
        cancelled.append(instruction.unit.code)
        _notify(
            unit=instruction.unit,
            incident=incident,
            instruction=instruction,
            kind="withdrawn",
            text=f"警情已撤回，停止处置：{reason}",
        )
        _event(
            incident=incident,
            instruction=instruction,
            kind="instruction_cancelled",
            summary=f"{instruction.unit.name}的指令因警情撤回而撤销",
            actor=actor,
            actor_label=_actor_label(actor, "市安管平台" if by_city else "系统"),
            before={"state": before_state},
            after={"state": after_state},
        )
    before = {"status": incident.status}
    incident.status = after
    incident.withdrawn_at = now
    incident.save()
    _event(
        incident=incident,
        kind="withdrawn",
        summary=f"警情撤回：{reason}",
        actor=actor,
        actor_label=_actor_label(actor, "市安管平台" if by_city else "系统"),
        before=before,
        after={"status": after, "cancelled_units": cancelled},
    )
    return incident


ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
}


@transaction.atomic
def do_upload_attachment(
    *, actor: User, instruction: Instruction, name: str, content_type: str, data: bytes
) -> Attachment:
    """Store a photo or scanned document for a unit's instruction (linked on use)."""
    import hashlib

    from django.conf import settings
    from django.core.files.base import ContentFile

    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise InvalidInput.one(
            "file", "unsupported_type", "只能上传JPEG/PNG/WEBP/HEIC图片或PDF文件"
        )
    if not data:
        raise InvalidInput.one("file", "empty", "文件为空")
    if len(data) > settings.LIANDONG_MAX_ATTACHMENT_BYTES:
        raise InvalidInput.one("file", "too_large", "文件不能超过20MB")
    attachment = Attachment(
        original_name=(name or "附件")[:200],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=clock.now(),
        instruction=instruction,
    )
    attachment.file.save(f"{attachment.sha256[:16]}", ContentFile(data), save=False)
    attachment.save()
    _event(
        incident=instruction.incident,
        instruction=instruction,
        kind="attachment_uploaded",
        summary=f"{instruction.unit.name}上传附件：{attachment.original_name}",
        actor=actor,
        data={"attachment": attachment.pk, "size": attachment.size, "sha256": attachment.sha256},
    )
    return attachment

"""Writes of supervision orders: issue (with the year's next document number), answer in writing,
accept or send back. Keyword-only, typed, atomic; locks in the one order: the incidents of the
order's instructions (ascending) → the instructions → the order (like a request) → the counter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.incidents.actions.attachments import store_upload
from liandong.incidents.actions.kernel import append_event, clean_text, notify, office_unit
from liandong.incidents.actions.locks import lock_incidents
from liandong.incidents.events import EventKind
from liandong.incidents.models import Instruction, NotificationAudience
from liandong.supervision.lifecycle import SUPERVISION_ORDER
from liandong.supervision.models import SupervisionOrder, next_number
from liandong.units.models import Unit

#: The document number's form (于联督〔2026〕12号); administrators may change the prefix.
NUMBER_PREFIX = "于联督"


def number_of(year: int, serial: int) -> str:
    return f"{NUMBER_PREFIX}〔{year}〕{serial}号"


def _lock_instructions(pks: Sequence[int]) -> list[Instruction]:
    incident_ids = list(
        Instruction.objects.filter(pk__in=pks).values_list("incident_id", flat=True)
    )
    lock_incidents(*incident_ids)
    return list(
        Instruction.objects.select_for_update()
        .filter(pk__in=pks)
        .select_related("incident", "unit")
        .order_by("pk")
    )


def _lock_order(order: SupervisionOrder) -> tuple[SupervisionOrder, list[Instruction]]:
    pks = list(order.instructions.values_list("pk", flat=True))
    instructions = _lock_instructions(pks)
    return SupervisionOrder.objects.select_for_update().get(pk=order.pk), instructions


def _events(
    order: SupervisionOrder,
    instructions: list[Instruction],
    kind: EventKind,
    summary: str,
    actor: User,
    **data: object,
) -> None:
    for instruction in instructions:
        append_event(
            incident=instruction.incident,
            instruction=instruction,
            kind=kind,
            summary=summary,
            actor=actor,
            data={"order": order.pk, "number": order.number, **data},
        )


@transaction.atomic
def do_issue_supervision_order(
    *,
    actor: User,
    unit: Unit,
    instructions: Sequence[Instruction],
    problems: str,
    measures: str,
    answer_due_at: datetime | None,
    contact: str,
    title: str = "",
) -> SupervisionOrder:
    """督办: a formal order to the unit's leadership about one or more of its instructions."""
    now = clock.now()
    errors: list[FieldError] = []
    if not instructions:
        errors.append(FieldError("instructions", "required", "请选择督办的指令"))
    elif any(i.unit_id != unit.pk for i in instructions):
        errors.append(FieldError("instructions", "other_unit", "督办的指令须属于同一承办单位"))
    if answer_due_at is None:
        errors.append(FieldError("answer_due_at", "required", "请填写书面回复期限"))
    elif answer_due_at <= now + timedelta(minutes=30):
        errors.append(
            FieldError("answer_due_at", "too_early", "书面回复期限应晚于当前时间至少30分钟")
        )
    for name, value, limit in (("problems", problems, 2000), ("measures", measures, 2000)):
        if not (value or "").strip():
            errors.append(FieldError(name, "required", "不能为空"))
        elif len(value.strip()) > limit:
            errors.append(FieldError(name, "too_long", f"不能超过{limit}个字符"))
    if not (contact or "").strip():
        errors.append(FieldError("contact", "required", "请填写联系人及电话"))
    if errors:
        raise InvalidInput(errors)
    assert answer_due_at is not None
    locked = _lock_instructions([i.pk for i in instructions])
    year = clock.to_beijing(now).year
    serial = next_number(NUMBER_PREFIX, year)
    order = SupervisionOrder.objects.create(
        number=number_of(year, serial),
        year=year,
        serial=serial,
        unit=unit,
        title=clean_text("title", title, max_length=200, required=False)
        or f"关于督促{unit.name}加快办理警情的督办通知",
        problems=problems.strip(),
        measures=measures.strip(),
        answer_due_at=answer_due_at,
        contact=contact.strip()[:100],
        issued_by=actor,
        issued_at=now,
    )
    order.instructions.set(locked)
    due = clock.to_beijing(answer_due_at).strftime("%m-%d %H:%M")
    _events(
        order, locked, EventKind.SUPERVISION_ISSUED, f"督办{unit.name}（{order.number}）", actor
    )
    for instruction in locked[:1]:
        notify(
            unit=unit,
            incident=instruction.incident,
            instruction=instruction,
            kind="supervision_issued",
            audience=NotificationAudience.LEADERS,
            title="督办通知",
            text=f"{order.number}：{order.title}，请于{due}前书面回复",
        )
    return order


@transaction.atomic
def do_answer_supervision_order(
    *,
    actor: User,
    order: SupervisionOrder,
    text: str,
    document: tuple[str, str, bytes] | None = None,
) -> SupervisionOrder:
    """The unit's leader answers in writing (with the signed scan, as name, type and bytes)."""
    order, instructions = _lock_order(order)
    after = SUPERVISION_ORDER.next_state(order.state, "answer")
    text = clean_text("text", text, max_length=5000)
    now = clock.now()
    if document is not None:
        name, content_type, data = document
        order.answer_document = store_upload(
            actor=actor,
            name=name,
            content_type=content_type,
            data=data,
            purpose="supervision",
            field="document",
        )
    order.state = after
    order.answer_text = text
    order.answered_by = actor
    order.answered_at = now
    if order.first_answered_at is None:
        order.first_answered_at = now
        order.answered_late = now > order.answer_due_at
    order.save()
    _events(
        order,
        instructions,
        EventKind.SUPERVISION_ANSWERED,
        f"{order.unit.name}书面回复督办（{order.number}）"
        + ("（逾期）" if order.answered_late else ""),
        actor,
        late=order.answered_late,
    )
    notify(
        unit=office_unit(),
        incident=instructions[0].incident if instructions else None,
        kind="supervision_answered",
        audience=NotificationAudience.SUPERVISORS,
        title="督办回复",
        text=f"{order.unit.name}已书面回复{order.number}，待审核",
    )
    return order


def _decide(
    *, actor: User, order: SupervisionOrder, action: str, note: str, due: datetime | None
) -> SupervisionOrder:
    order, instructions = _lock_order(order)
    after = SUPERVISION_ORDER.next_state(order.state, action)
    if action == "send_back":
        if not (note or "").strip():
            raise InvalidInput.one("note", "required", "退回时请说明理由")
        if due is not None:
            if due <= clock.now():
                raise InvalidInput.one("answer_due_at", "too_early", "新的回复期限应晚于当前时间")
            order.answer_due_at = due
    order.state = after
    order.decided_by = actor
    order.decided_at = clock.now()
    order.decision_note = clean_text("note", note, max_length=2000, required=False)
    order.save()
    kind = EventKind.SUPERVISION_ACCEPTED if action == "accept" else EventKind.SUPERVISION_SENT_BACK
    verb = "认可" if action == "accept" else "退回"
    _events(
        order, instructions, kind, f"{verb}{order.unit.name}的督办回复（{order.number}）", actor
    )
    notify(
        unit=order.unit,
        incident=instructions[0].incident if instructions else None,
        kind=f"supervision_{action}",
        audience=NotificationAudience.LEADERS,
        title="督办审核",
        text=f"{order.number}回复已{verb}" + (f"：{note}" if note else ""),
    )
    return order


@transaction.atomic
def do_accept_supervision_answer(
    *, actor: User, order: SupervisionOrder, note: str = ""
) -> SupervisionOrder:
    return _decide(actor=actor, order=order, action="accept", note=note, due=None)


@transaction.atomic
def do_send_back_supervision_answer(
    *, actor: User, order: SupervisionOrder, note: str, answer_due_at: datetime | None = None
) -> SupervisionOrder:
    return _decide(actor=actor, order=order, action="send_back", note=note, due=answer_due_at)

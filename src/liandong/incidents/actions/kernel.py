"""What every action shares: appending events, writing notifications, checking the tables,
reading plain input. Nothing here commits on its own; the calling action holds the transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput
from liandong.common.inserts import insert_rows
from liandong.common.kept import Kept
from liandong.incidents import access
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import (
    DEADLINE,
    FINAL_INSTRUCTION_VALUES,
    INSTRUCTION,
    PREVIOUS,
    InstructionState,
    Machine,
)
from liandong.incidents.models import (
    Deadline,
    Event,
    Incident,
    Instruction,
    Notification,
    NotificationAudience,
)
from liandong.units.models import Unit, UnitKind

OFFICE_CODE = "office"


def actor_label(actor: User | None, fallback: str = "系统") -> str:
    """How the timeline names who did something: unit (or office) and person."""
    if actor is None:
        return fallback
    if actor.unit is not None:
        return f"{actor.unit.name} {actor.display_name}"
    if access.is_office(actor):
        return f"区联动办 {actor.display_name}"
    return actor.display_name


def clean_text(field: str, value: str | None, *, max_length: int, required: bool = True) -> str:
    """Trimmed text input; a 422 naming the field when it is empty or too long."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput.one(field, "required", "不能为空（也不能只有空格）")
    if len(value) > max_length:
        raise InvalidInput.one(
            field, "too_long", f"不能超过{max_length}个字符（现有{len(value)}个）"
        )
    return value


def phone(value: str) -> str:
    value = (value or "").strip()
    if not 3 <= len(value) <= 20 or any(c not in "0123456789+- " for c in value):
        raise InvalidInput.one(
            "caller_phone", "invalid", "联系电话应为3至20位数字，可含 + - 和空格"
        )
    return value


def linkage_unit(field: str, unit: Unit) -> Unit:
    """A unit instructions may be sent to: active, with a tier, a department or a street."""
    if (
        not unit.active
        or unit.tier is None
        or unit.kind not in (UnitKind.DEPARTMENT, UnitKind.STREET)
    ):
        raise InvalidInput.one(field, "not_linkage_unit", f"{unit.name}不是可派发的联动单位")
    return unit


# --- events --------------------------------------------------------------------------------------

EventHook = Callable[[Event], object]
EventsHook = Callable[[list[Event]], object]
_event_hooks: list[tuple[EventHook, EventsHook | None]] = []


def register_event_hook(hook: EventHook, *, many: EventsHook | None = None) -> None:
    """Let another app react to events inside the same transaction (the city link writes its
    outbound reports this way, so a committed step always has its report). `many`, if given,
    does for a list of events at once what `hook` does for each (append_events uses it)."""
    if all(known is not hook for known, _ in _event_hooks):
        _event_hooks.append((hook, many))


def append_event(
    *,
    incident: Incident,
    kind: EventKind,
    summary: str,
    actor: User | None,
    actor_label_text: str | None = None,
    instruction: Instruction | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event of an enumerated kind; the caller holds the incident's lock."""
    event = Event(
        incident=incident,
        instruction=instruction,
        kind=EventKind(kind),
        summary=summary[:300],
        actor=actor,
        actor_label=actor_label_text or actor_label(actor),
        occurred_at=at or clock.now(),
        before=before or {},
        after=after or {},
        data=data or {},
    )
    insert_rows([event])
    for hook, _ in _event_hooks:
        hook(event)
    return event


def append_events(events: list[Event]) -> list[Event]:
    """Append several events at once (the watch, the calendar recompute); each gets the hooks
    like append_event (a hook's `many` form once for them all)."""
    for event in events:
        event.kind = EventKind(event.kind)
        event.summary = event.summary[:300]
    created = insert_rows(events)
    for hook, many in _event_hooks:
        if many is not None:
            many(created)
        else:
            for event in created:
                hook(event)
    return created


# --- notifications -------------------------------------------------------------------------------


#: The office's unit, read once a minute per process (every intake notifies it); a unit saved or
#: deleted in this process empties it at once.
_office = Kept(lambda: Unit.objects.get(code=OFFICE_CODE, kind=UnitKind.OFFICE), seconds=60.0)
post_save.connect(_office.forget, sender=Unit, dispatch_uid="kernel-office-saved")
post_delete.connect(_office.forget, sender=Unit, dispatch_uid="kernel-office-deleted")


def office_unit() -> Unit:
    return _office.get()


NotificationHook = Callable[[list[Notification]], object]
_notification_hooks: list[NotificationHook] = []


def register_notification_hook(hook: NotificationHook) -> None:
    """Let another app react to new notifications inside the same transaction (the outside
    channels write their deliveries this way, so a committed notification always has them)."""
    if hook not in _notification_hooks:
        _notification_hooks.append(hook)


def notify(
    *,
    unit: Unit,
    incident: Incident | None,
    kind: str,
    text: str,
    instruction: Instruction | None = None,
    audience: str = NotificationAudience.ALL,
    title: str = "",
) -> Notification:
    return notify_many(
        [
            Notification(
                unit=unit,
                incident=incident,
                instruction=instruction,
                kind=kind,
                text=text[:300],
                audience=audience,
                title=title[:100],
            )
        ]
    )[0]


def notify_many(rows: list[Notification]) -> list[Notification]:
    """Store several notifications at once (stamped now) and run the notification hooks."""
    now = clock.now()
    for row in rows:
        row.created_at = now
        row.text = row.text[:300]
    created = insert_rows(rows)
    if created:
        for hook in _notification_hooks:
            hook(created)
    return created


# --- tables --------------------------------------------------------------------------------------


def instruction_transition(instruction: Instruction, action: str) -> tuple[str, str]:
    """Check the instruction table; return (before, after) without saving."""
    before = instruction.state
    after = INSTRUCTION.next_state(before, action)
    if after == PREVIOUS:
        after = instruction.previous_state or InstructionState.PENDING_SIGN
    return before, after


def set_instruction_state(instruction: Instruction, after: str, **fields: Any) -> None:
    if after != instruction.state:
        instruction.previous_state = instruction.state
        instruction.state = after
    for name, value in fields.items():
        setattr(instruction, name, value)
    instruction.save()


def request_transition(machine: Machine, request: Any, action: str) -> tuple[str, str]:
    before = request.state
    return before, machine.next_state(before, action)


def deadline_transition(deadline: Deadline, action: str, **fields: Any) -> None:
    """Move one (locked) deadline through the deadline table, tell the watch when to look at it
    next, and save it."""
    deadline.state = DEADLINE.next_state(deadline.state, action)
    for name, value in fields.items():
        setattr(deadline, name, value)
    deadline.refresh_watch()
    deadline.save()


def open_instructions(incident: Incident) -> QuerySet[Instruction]:
    return incident.instructions.exclude(state__in=FINAL_INSTRUCTION_VALUES)


def iso(moment: datetime) -> str:
    """Times in event data are written in Beijing time with their offset."""
    return clock.to_beijing(moment).isoformat()

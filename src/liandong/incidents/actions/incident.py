"""The office's actions on an incident as a whole: triage and dispatch, return to the city, merge,
add units, withdraw. Closing and the call-back are in closing.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.child_rows import set_loaded
from liandong.common.errors import FieldError, InvalidInput
from liandong.common.inserts import insert_rows
from liandong.incidents import rules
from liandong.incidents.actions.deadlines import deadline_rows, stop_deadlines
from liandong.incidents.actions.kernel import (
    actor_label,
    append_event,
    clean_text,
    instruction_transition,
    linkage_unit,
    notify,
    notify_many,
    open_instructions,
    set_instruction_state,
)
from liandong.incidents.actions.locks import (
    lock_incident,
    lock_incidents,
    lock_instruction,
    locked_rows,
)
from liandong.incidents.actions.requests import cancel_pending_requests
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import INCIDENT
from liandong.incidents.models import (
    Deadline,
    Incident,
    IncidentClass,
    Instruction,
    Notification,
    Role,
)
from liandong.units.models import Category, Unit, UnitKind


def new_instruction(
    *,
    incident: Incident,
    unit: Unit,
    role: str,
    at: datetime,
    note: str = "",
    reassigned_from: Instruction | None = None,
) -> Instruction:
    """One instruction with its clocks and the unit's notification (the incident is held)."""
    return new_instructions(
        incident=incident, units=[(unit, role)], at=at, note=note, reassigned_from=reassigned_from
    )[0]


def new_instructions(
    *,
    incident: Incident,
    units: Sequence[tuple[Unit, str]],
    at: datetime,
    note: str = "",
    reassigned_from: Instruction | None = None,
) -> list[Instruction]:
    """One instruction per (unit, role) with its clocks and the unit's notification, written
    together: one insert each for the instructions, their clocks and the notifications, however
    many units (the incident is held)."""
    assert incident.level is not None
    busy = set(open_instructions(incident).order_by().values_list("unit_id", flat=True))
    rows = []
    for unit, role in units:
        assert unit.tier is not None
        if unit.pk in busy:
            raise InvalidInput.one("unit", "already_assigned", f"{unit.name}已有该警情的在办指令")
        busy.add(unit.pk)  # the same unit twice in one call: refused as before
        rows.append(
            Instruction(
                incident=incident,
                unit=unit,
                role=role,
                level=incident.level,
                tier=unit.tier,
                dispatched_at=at,
                note=note,
                reassigned_from=reassigned_from,
            )
        )
    instructions = insert_rows(rows)
    deadlines = insert_rows([d for i in instructions for d in deadline_rows(i)])
    _hold_new_children(instructions, deadlines)
    notify_many(
        [
            Notification(
                unit=i.unit,
                incident=incident,
                instruction=i,
                kind="dispatched",
                text=f"新指令（{i.get_role_display()}）：{incident.address}",
            )
            for i in instructions
        ]
    )
    return instructions


def _hold_new_children(instructions: list[Instruction], deadlines: list[Deadline]) -> None:
    """A new instruction's child rows are the clocks just written and nothing else: its views
    (the dispatch's answer) read them from memory, as after `load_instruction_rows`."""
    if any(d.pk is None for d in deadlines):  # a database that returns no keys: read them later
        return
    for instruction in instructions:
        mine = [d for d in deadlines if d.instruction_id == instruction.pk]
        set_loaded(instruction, "deadlines", sorted(mine, key=lambda d: (d.due_at, d.pk)))
        set_loaded(instruction, "caller_contacts", [])
        set_loaded(instruction, "attachments", [])


def _triage_errors(
    *,
    incident_class: str,
    level: int,
    category: Category,
    primary_unit: Unit,
    cooperating: list[Unit],
    street: Unit | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if incident_class not in IncidentClass.values:
        errors.append(
            FieldError("incident_class", "invalid_choice", "处置类别应为源头分流类或联动处置类")
        )
    if level not in (1, 2):
        errors.append(FieldError("level", "invalid_choice", "指令级别应为1（紧急）或2（非紧急）"))
    if not category.active:
        errors.append(FieldError("category", "inactive", f"事项类别「{category.name}」已停用"))
    if primary_unit in cooperating:
        errors.append(FieldError("cooperating_units", "duplicate", "主责单位不能同时是协同单位"))
    if incident_class == IncidentClass.SOURCE_DIVERSION and cooperating:
        errors.append(
            FieldError("cooperating_units", "not_allowed", "源头分流类警情只派发给一个主责单位")
        )
    if street is not None and street.kind != UnitKind.STREET:
        errors.append(FieldError("street", "not_street", f"{street.name}不是街道"))
    return errors


#: what a dispatch writes on the incident besides its status and moment
TRIAGE_FIELDS = ("incident_class", "level", "category", "street", "triage_note")


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
    incident = lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "dispatch")
    cooperating = list(dict.fromkeys(cooperating_units))
    errors = _triage_errors(
        incident_class=incident_class,
        level=level,
        category=category,
        primary_unit=primary_unit,
        cooperating=cooperating,
        street=street,
    )
    if errors:
        raise InvalidInput(errors)
    linkage_unit("primary_unit", primary_unit)
    for unit in cooperating:
        linkage_unit("cooperating_units", unit)
    now = clock.now()
    before = {"status": incident.status}
    incident.status = after
    incident.incident_class = incident_class
    incident.level = level
    incident.category = category
    incident.street = street
    incident.triage_note = note
    incident.dispatched_at = now
    incident.save(update_fields=[*TRIAGE_FIELDS, "status", "dispatched_at"])
    instructions = new_instructions(
        incident=incident,
        units=[(primary_unit, Role.PRIMARY)] + [(u, Role.COOPERATING) for u in cooperating],
        at=now,
        note=note,
    )
    append_event(
        incident=incident,
        kind=EventKind.DISPATCHED,
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


@transaction.atomic
def do_return_to_city(*, actor: User, incident: Incident, reason: str) -> Incident:
    incident = lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "return_to_city")
    reason = clean_text("reason", reason, max_length=500)
    before = {"status": incident.status}
    incident.status = after
    incident.return_reason = reason
    incident.save()
    append_event(
        incident=incident,
        kind=EventKind.RETURNED_TO_CITY,
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
    locked = lock_incidents(incident.pk, into.pk)
    incident, into = locked[incident.pk], locked[into.pk]
    after = INCIDENT.next_state(incident.status, "merge")
    INCIDENT.next_state(into.status, "absorb_repeat")
    before = {"status": incident.status}
    incident.status = after
    incident.merged_into = into
    incident.save()
    into.repeat_calls += 1 + incident.repeat_calls
    into.save(update_fields=["repeat_calls"])
    append_event(
        incident=incident,
        kind=EventKind.MERGED,
        summary=f"作为重复警情并入{into.incident_id}",
        actor=actor,
        before=before,
        after={"status": after, "merged_into": into.incident_id},
    )
    append_event(
        incident=into,
        kind=EventKind.REPEAT_CALL,
        summary=f"重复警情{incident.incident_id}并入：{incident.content[:100]}",
        actor=actor,
        data={"repeat": incident.incident_id, "repeat_calls": into.repeat_calls},
    )
    for instruction in open_instructions(into).select_related("unit"):
        notify(
            unit=instruction.unit,
            incident=into,
            instruction=instruction,
            kind="repeat_call",
            text=f"报警人再次来电（重复警情{incident.incident_id}），请加快处置",
        )
    return incident


@transaction.atomic
def do_add_units(
    *, actor: User, incident: Incident, units: Sequence[Unit], reason: str = ""
) -> list[Instruction]:
    """增派: more cooperating units for a dispatched incident."""
    incident = lock_incident(incident)
    INCIDENT.next_state(incident.status, "add_units")
    wanted = list(dict.fromkeys(units))
    if not wanted:
        raise InvalidInput.one("units", "required", "请选择增派的单位")
    for unit in wanted:
        linkage_unit("units", unit)
    if incident.incident_class == IncidentClass.SOURCE_DIVERSION:
        incident.incident_class = IncidentClass.LINKED_DISPOSAL
        incident.save(update_fields=["incident_class"])
    now = clock.now()
    created = [
        new_instruction(incident=incident, unit=u, role=Role.COOPERATING, at=now, note=reason)
        for u in wanted
    ]
    append_event(
        incident=incident,
        kind=EventKind.UNITS_ADDED,
        summary=f"增派协同单位：{'、'.join(u.name for u in wanted)}"
        + (f"（{reason}）" if reason else ""),
        actor=actor,
        after={"units": [u.code for u in wanted]},
    )
    return created


@transaction.atomic
def do_withdraw_incident(
    *, actor: User | None, incident: Incident, reason: str, by_city: bool = True
) -> Incident:
    """The city takes the incident back: every open clock stops, every unit holding it is told."""
    incident = lock_incident(incident)
    after = INCIDENT.next_state(incident.status, "withdraw")
    reason = clean_text("reason", reason, max_length=2000)
    now = clock.now()
    who = actor_label(actor, "市安管平台" if by_city else "系统")
    cancelled = []
    for row in locked_rows(open_instructions(incident)):
        instruction = lock_instruction(row)
        before_state, after_state = instruction_transition(instruction, "cancel")
        stop_deadlines(instruction, now)
        cancel_pending_requests(instruction, at=now, why="警情撤回")
        set_instruction_state(instruction, after_state, finished_at=now)
        cancelled.append(instruction.unit.code)
        notify(
            unit=instruction.unit,
            incident=incident,
            instruction=instruction,
            kind="withdrawn",
            text=f"警情已撤回，停止处置：{reason}",
        )
        append_event(
            incident=incident,
            instruction=instruction,
            kind=EventKind.INSTRUCTION_CANCELLED,
            summary=f"{instruction.unit.name}的指令因警情撤回而撤销",
            actor=actor,
            actor_label_text=who,
            before={"state": before_state},
            after={"state": after_state},
        )
    before = {"status": incident.status}
    incident.status = after
    incident.withdrawn_at = now
    incident.save()
    append_event(
        incident=incident,
        kind=EventKind.WITHDRAWN,
        summary=f"警情撤回：{reason}",
        actor=actor,
        actor_label_text=who,
        before=before,
        after={"status": after, "cancelled_units": cancelled},
    )
    return incident


@transaction.atomic
def do_stand_down_instruction(*, actor: User, instruction: Instruction, reason: str) -> Instruction:
    """撤销 one cooperating unit's instruction (its help is no longer needed): its clocks stop, its
    pending requests lapse, it is told why, and the city gets the new set of units."""
    instruction = lock_instruction(instruction)
    before_state, after_state = instruction_transition(instruction, "cancel")
    rules.enforce(rules.stand_down(role=instruction.role))
    reason = clean_text("reason", reason, max_length=1000)
    now = clock.now()
    stop_deadlines(instruction, now)
    cancel_pending_requests(instruction, at=now, why="指令已撤销")
    set_instruction_state(instruction, after_state, finished_at=now)
    notify(
        unit=instruction.unit,
        incident=instruction.incident,
        instruction=instruction,
        kind="withdrawn",
        text=f"区联动办已撤销贵单位的指令，停止处置：{reason}",
    )
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.STOOD_DOWN,
        summary=f"撤销{instruction.unit.name}的指令：{reason}",
        actor=actor,
        before={"state": before_state},
        after={"state": after_state},
        data={"reason": reason},
    )
    return instruction

"""The deadline watch: warnings, breaches and supervision proposals, each exactly once, on time,
with several workers running, caught up after a restart.

Each deadline carries `watch_at`, the next moment the watch must look at it (NULL when nothing is
pending), behind a partial index that holds only those rows. A round takes up to `limit` rows whose
moment has come, locks their incidents with SKIP LOCKED (another worker, or a person acting on the
incident right now, keeps it; this round skips it and the next takes it), then the instructions
and the deadlines (the one lock order, locks.py), rechecks each against the pure rules
(sla/watch.py), and writes the events and notifications of every stage in a few statements.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from liandong import clock
from liandong.incidents.actions.kernel import (
    append_events,
    notify_many,
    office_unit,
)
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import DEADLINE
from liandong.incidents.models import (
    Deadline,
    Event,
    Incident,
    Instruction,
    Notification,
    NotificationAudience,
)
from liandong.sla.selectors import watch_settings
from liandong.sla.watch import (
    STAGE_LABELS,
    Audience,
    Stage,
    after_stages,
    due_stages,
    next_moment,
)
from liandong.units.models import Unit

EVENT_OF_STAGE = {
    Stage.WARNING: EventKind.DEADLINE_WARNING,
    Stage.BREACH: EventKind.DEADLINE_OVERDUE,
    Stage.ESCALATION: EventKind.SUPERVISION_PROPOSED,
}
NOTIFICATION_KIND = {
    Stage.WARNING: "deadline_warning",
    Stage.BREACH: "overdue",
    Stage.ESCALATION: "supervision_proposed",
}
STAMP = {
    Stage.WARNING: "warned_at",
    Stage.BREACH: "overdue_noticed_at",
    Stage.ESCALATION: "escalated_at",
}
TABLE_ACTION = {Stage.WARNING: "warn", Stage.BREACH: "notice_overdue", Stage.ESCALATION: "escalate"}


def next_watch_moment() -> datetime | None:
    """When the watch has work next (the worker sleeps until then)."""
    return (
        Deadline.objects.filter(watch_at__isnull=False)
        .order_by("watch_at")
        .values_list("watch_at", flat=True)
        .first()
    )


def _moment(deadline: Deadline, stage: Stage) -> datetime:
    if stage is Stage.WARNING and deadline.warn_at is not None:
        return deadline.warn_at
    if stage is Stage.ESCALATION and deadline.escalate_after_minutes is not None:
        return deadline.due_at + timedelta(minutes=deadline.escalate_after_minutes)
    return deadline.due_at


def _text(stage: Stage, deadline: Deadline, instruction: Instruction) -> str:
    what = f"{instruction.unit.name}{deadline.get_kind_display()}"
    due = clock.to_beijing(deadline.due_at).strftime("%m-%d %H:%M")
    where = f"警情{instruction.incident.incident_id}，{instruction.incident.address}"
    if stage is Stage.WARNING:
        return f"{what}即将超时（{due}截止；{where}）"
    if stage is Stage.BREACH:
        return f"{what}已超时（{where}）"
    return f"{what}超时未办，建议督办（{due}截止；{where}）"


def _notifications(
    stage: Stage,
    audiences: tuple[Audience, ...],
    deadline: Deadline,
    instruction: Instruction,
    office: Unit,
) -> list[Notification]:
    text = _text(stage, deadline, instruction)
    targets = {
        Audience.DUTY: (instruction.unit, NotificationAudience.ALL),
        Audience.LEADERS: (instruction.unit, NotificationAudience.LEADERS),
        Audience.OFFICE: (office, NotificationAudience.ALL),
        Audience.SUPERVISORS: (office, NotificationAudience.SUPERVISORS),
    }
    return [
        Notification(
            unit=targets[a][0],
            audience=targets[a][1],
            incident=instruction.incident,
            instruction=instruction,
            deadline=deadline,
            stage=stage,
            kind=NOTIFICATION_KIND[stage],
            title=f"{deadline.get_kind_display()}{STAGE_LABELS[stage]}",
            text=text,
        )
        for a in dict.fromkeys(audiences)
    ]


def _lock_due(candidates: list[tuple[int, int, int]], now: datetime) -> list[Deadline]:
    """Incidents (SKIP LOCKED) → instructions → deadlines, in the one order; only rows still due."""
    incident_ids = sorted({incident for _, _, incident in candidates})
    held = list(
        Incident.objects.select_for_update(skip_locked=True)
        .filter(pk__in=incident_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not held:
        return []
    wanted = [(d, i) for d, i, incident in candidates if incident in set(held)]
    list(
        Instruction.objects.select_for_update()
        .filter(pk__in=sorted({i for _, i in wanted}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(
        Deadline.objects.select_for_update(of=("self",))
        .filter(pk__in=[d for d, _ in wanted], watch_at__lte=now)
        .select_related("instruction__incident", "instruction__unit")
        .order_by("pk")
    )


STAMP_COLUMNS = ["warned_at", "overdue_noticed_at", "escalated_at", "watch_at"]


def _store_stamps(deadlines: list[Deadline]) -> None:
    """Write the stages' stamps and the next moments of a round in one statement (PostgreSQL:
    UPDATE … FROM VALUES; elsewhere Django's bulk update)."""
    if connection.vendor != "postgresql":
        Deadline.objects.bulk_update(deadlines, STAMP_COLUMNS)
        return
    row = "(%s, %s::timestamptz, %s::timestamptz, %s::timestamptz, %s::timestamptz)"
    params: list[Any] = []
    for d in deadlines:
        params += [d.pk, d.warned_at, d.overdue_noticed_at, d.escalated_at, d.watch_at]
    table = Deadline._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET warned_at = v.w, overdue_noticed_at = v.b,"  # noqa: S608
            " escalated_at = v.e, watch_at = v.n FROM (VALUES "
            + ", ".join([row] * len(deadlines))
            + ") AS v(id, w, b, e, n) WHERE d.id = v.id",
            params,
        )


def do_watch_round(*, limit: int = 1000) -> int:
    """Fire every stage that is due, up to `limit` deadlines; returns how many deadlines it
    handled (0: nothing was due, or another worker holds what is)."""
    now = clock.now()
    candidates = list(
        Deadline.objects.filter(watch_at__lte=now)
        .order_by("watch_at")
        .values_list("pk", "instruction_id", "instruction__incident_id")[:limit]
    )
    if not candidates:
        return 0
    with transaction.atomic():
        deadlines = _lock_due(candidates, now)
        if not deadlines:
            return 0
        settings = watch_settings()
        office = office_unit()
        events: list[Event] = []
        notes: list[Notification] = []
        for deadline in deadlines:
            watched = deadline.watched()
            fired = due_stages(watched, now)
            instruction = deadline.instruction
            ladder = settings[instruction.level].ladder
            for stage in fired:
                DEADLINE.next_state(deadline.state, TABLE_ACTION[stage])
                setattr(deadline, STAMP[stage], now)
                text = _text(stage, deadline, instruction)
                moment = _moment(deadline, stage)
                events.append(
                    Event(
                        incident=instruction.incident,
                        instruction=instruction,
                        kind=EVENT_OF_STAGE[stage],
                        summary=text,
                        actor_label="系统（时限监控）",
                        occurred_at=now,
                        data={
                            "kind": deadline.kind,
                            "stage": stage.value,
                            "due_at": clock.iso(deadline.due_at),
                            "moment": clock.iso(moment),
                            "late_ms": 0,  # set when the round is written (see below)
                        },
                    )
                )
                notes += _notifications(stage, ladder.get(stage, ()), deadline, instruction, office)
            if Stage.BREACH in fired and deadline.warned_at is None:
                deadline.warned_at = now  # a caught-up breach makes its warning moot
            deadline.watch_at = next_moment(after_stages(watched, fired))
        _store_stamps(deadlines)
        written = clock.now()  # how late each stage reaches the database (a frozen clock: 0)
        for event in events:
            moment = datetime.fromisoformat(event.data["moment"])
            event.data["late_ms"] = int((written - moment).total_seconds() * 1000)
        append_events(events)
        notify_many(notes)
    return len(deadlines)


def watch_until_idle(*, limit: int = 1000, max_rounds: int = 1000) -> int:
    """Rounds until nothing is due (a worker after a restart catches up this way)."""
    total = 0
    for _ in range(max_rounds):
        handled = do_watch_round(limit=limit)
        total += handled
        if handled == 0:
            break
    return total

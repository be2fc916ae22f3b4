"""The daily digest: at a set hour (LIANDONG_DIGEST_HOUR, Beijing time, default 08:00) each unit
leader is told the unit's open items that are past their due time. Exactly once a day, whatever
workers run: the day's `DigestRun` row is inserted first, and only the worker that inserted it
writes the notifications (in the same transaction)."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import datetime

from django.db import IntegrityError, transaction

from liandong import clock
from liandong.incidents.actions.kernel import notify_many
from liandong.incidents.models import (
    Deadline,
    DeadlineState,
    DigestRun,
    Notification,
    NotificationAudience,
)

MAX_ITEMS_IN_TEXT = 10


def digest_hour() -> int:
    return int(os.environ.get("LIANDONG_DIGEST_HOUR", "8"))


def _text(unit_name: str, rows: list[Deadline], now: datetime) -> str:
    lines = []
    for d in rows[:MAX_ITEMS_IN_TEXT]:
        hours = int((now - d.due_at).total_seconds() // 3600)
        lines.append(f"{d.instruction.incident.incident_id} {d.get_kind_display()}超时{hours}小时")
    more = f"等{len(rows)}项" if len(rows) > MAX_ITEMS_IN_TEXT else f"共{len(rows)}项"
    return f"{unit_name}尚有超时未办事项{more}：" + "；".join(lines)


def do_send_daily_digests(*, now: datetime | None = None) -> int:
    """Write today's digest if its hour has come and nobody wrote it; returns units told."""
    now = now or clock.now()
    local = clock.to_beijing(now)
    if local.hour < digest_hour():
        return 0
    day = local.date()
    if DigestRun.objects.filter(day=day).exists():
        return 0
    try:
        with transaction.atomic():
            run = DigestRun.objects.create(day=day, created_at=now)
            overdue = (
                Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lt=now)
                .select_related("instruction__unit", "instruction__incident")
                .order_by("instruction__unit_id", "due_at")
            )
            by_unit: dict[int, list[Deadline]] = defaultdict(list)
            for d in overdue:
                by_unit[d.instruction.unit_id].append(d)
            notes = [
                Notification(
                    unit=rows[0].instruction.unit,
                    audience=NotificationAudience.LEADERS,
                    kind="digest",
                    title=f"{day:%m月%d日}超时未办汇总",
                    text=_text(rows[0].instruction.unit.name, rows, now),
                )
                for rows in by_unit.values()
            ]
            notify_many(notes)
            run.units = len(notes)
            run.save(update_fields=["units"])
    except IntegrityError:  # another worker wrote today's digest at the same moment
        return 0
    return len(by_unit)

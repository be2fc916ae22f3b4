"""The calendar recompute's arithmetic for one chunk of open working-day deadlines: which of them
a (new) calendar moves, and to when. Pure standard library; no Django here.

A working-day deadline's due moment depends only on the Beijing day its clock started on and its
number of working days (deadlines.due_after), so a chunk computes each (day, amount) once: a
chunk of thousands of deadlines started on a few dozen days costs a few dozen calendar walks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from liandong.sla.deadlines import SHANGHAI, Due, Limit, LimitUnit, due_after
from liandong.sla.workcal import WorkCalendar

#: One open deadline as the recompute reads it: id, start, working days, due moment, provisional.
Row = tuple[int, datetime, int, datetime, bool]


def moved_dues(rows: Iterable[Row], calendar: WorkCalendar) -> dict[int, Due]:
    """The deadlines whose due moment or provisional flag the calendar changes, by id."""
    known: dict[tuple[date, int], Due] = {}
    moved: dict[int, Due] = {}
    for pk, starts_at, amount, due_at, provisional in rows:
        key = (starts_at.astimezone(SHANGHAI).date(), amount)
        due = known.get(key)
        if due is None:
            due = known[key] = due_after(starts_at, Limit(amount, LimitUnit.WORKING_DAYS), calendar)
        if due.at != due_at or due.provisional != provisional:
            moved[pk] = due
    return moved

"""The calendar recompute's chunk arithmetic (sla/recompute.py): which deadlines a calendar moves,
and to when. Pure, no database."""

from __future__ import annotations

from datetime import datetime

from liandong.sla.deadlines import Limit, LimitUnit, due_after
from liandong.sla.recompute import moved_dues
from liandong.sla.workcal import WorkCalendar

OLD = WorkCalendar.from_mapping({2026: {"holidays": ["2026-10-01"], "makeup_workdays": []}})
NEW = WorkCalendar.from_mapping(
    {2026: {"holidays": ["2026-10-01", "2026-12-01"], "makeup_workdays": []}}
)
MONDAY = datetime.fromisoformat("2026-11-30T09:00:00+08:00")


def _row(pk: int, starts: datetime, amount: int = 3, calendar: WorkCalendar = OLD) -> tuple:
    due = due_after(starts, Limit(amount, LimitUnit.WORKING_DAYS), calendar)
    return (pk, starts, amount, due.at, due.provisional)


def test_a_new_holiday_moves_the_deadlines_that_count_it_and_no_other() -> None:
    spans = _row(1, MONDAY)  # Dec 1, 2, 3 → now Dec 2, 3, 4
    after = _row(2, datetime.fromisoformat("2026-12-02T09:00:00+08:00"))  # Dec 3, 4, 7
    moved = moved_dues([spans, after], NEW)
    assert list(moved) == [1]
    assert moved[1].at.isoformat() == "2026-12-05T00:00:00+08:00"


def test_the_same_calendar_moves_nothing_so_a_chunk_done_twice_changes_nothing() -> None:
    rows = [_row(pk, MONDAY, calendar=NEW) for pk in range(1, 50)]
    assert moved_dues(rows, NEW) == {}


def test_the_day_a_clock_starts_is_the_beijing_day() -> None:
    # 2026-11-30 16:30 UTC is already 1 December 00:30 in Beijing: Dec 1 is the start day (not
    # counted), so the new holiday on Dec 1 does not move it
    late = datetime.fromisoformat("2026-11-30T16:30:00+00:00")
    assert moved_dues([_row(1, late)], NEW) == {}


def test_a_flag_that_changes_alone_counts_as_moved() -> None:
    # a deadline reaching into 2027 is provisional while 2027 is unknown
    starts = datetime.fromisoformat("2026-12-30T09:00:00+08:00")
    row = _row(1, starts)
    assert row[4] is True
    known = WorkCalendar.from_mapping(
        {2026: {"holidays": ["2026-10-01"]}, 2027: {"holidays": ["2027-10-01"]}}
    )
    moved = moved_dues([row], known)
    assert moved[1].at == row[3] and moved[1].provisional is False


def test_many_deadlines_started_on_a_few_days_each_get_their_own_due() -> None:
    rows = [
        _row(pk, datetime.fromisoformat(f"2026-11-{day}T{hour:02d}:00:00+08:00"), amount)
        for pk, (day, hour, amount) in enumerate(
            [(d, h, a) for d in (24, 25, 26, 27, 30) for h in (8, 13, 20) for a in (1, 3, 5)], 1
        )
    ]
    moved = moved_dues(rows, NEW)
    for pk, starts, amount, _, _ in rows:
        expected = due_after(starts, Limit(amount, LimitUnit.WORKING_DAYS), NEW)
        assert moved.get(pk, expected) == expected
    assert moved  # some spanned Dec 1

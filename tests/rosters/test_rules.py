"""The pure roster rules and the reading of cells (no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from liandong import clock
from liandong.rosters import rules
from liandong.rosters.workbook import cell_text, cell_time


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=clock.BEIJING)


DAY = (bj("2026-12-01 00:00"), bj("2026-12-02 00:00"))


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], [DAY]),
        ([DAY], []),
        ([(bj("2026-11-30 08:00"), bj("2026-12-03 08:00"))], []),
        (
            [(bj("2026-12-01 08:00"), bj("2026-12-01 20:00"))],
            [(DAY[0], bj("2026-12-01 08:00")), (bj("2026-12-01 20:00"), DAY[1])],
        ),
        # back to back: no gap; unsorted input; a shift inside another
        (
            [
                (bj("2026-12-01 12:00"), bj("2026-12-02 00:00")),
                (bj("2026-12-01 00:00"), bj("2026-12-01 12:00")),
                (bj("2026-12-01 01:00"), bj("2026-12-01 02:00")),
            ],
            [],
        ),
        # entirely outside the window
        (
            [
                (bj("2026-11-30 00:00"), bj("2026-12-01 00:00")),
                (bj("2026-12-02 00:00"), bj("2026-12-03 00:00")),
            ],
            [DAY],
        ),
        # overlapping shifts merge
        (
            [
                (bj("2026-12-01 00:00"), bj("2026-12-01 10:00")),
                (bj("2026-12-01 09:00"), bj("2026-12-01 18:00")),
            ],
            [(bj("2026-12-01 18:00"), DAY[1])],
        ),
    ],
)
def test_uncovered_parts_of_a_window(intervals, expected):
    assert rules.uncovered(intervals, *DAY) == expected


def test_uncovered_returns_beijing_time_whatever_the_input_zone():
    utc = datetime.fromisoformat("2026-12-01T00:00:00+00:00")
    [(start, end)] = rules.uncovered([], utc, utc + timedelta(hours=1))
    assert start == bj("2026-12-01 08:00") and start.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13800000000", True),
        ("024-86001119", True),
        ("+86 138 0000 0000", True),
        ("12345", True),
        ("1234", False),
        ("", False),
        ("138-0000-000x", False),
        ("024+1234567", False),
        ("1" * 21, False),
    ],
)
def test_phone_numbers(phone, ok):
    assert (rules.phone_problem(phone) is None) is ok


def test_shift_length_limits():
    start = bj("2026-12-01 08:00")
    assert rules.shift_problem(start, start + rules.MAX_SHIFT) is None
    assert rules.shift_problem(start, start) == "结束时间应晚于开始时间"
    assert rules.shift_problem(start, start + timedelta(hours=24, seconds=1)) == (
        "一个班次不能超过24小时"
    )


def test_which_tier_keeps_which_contact():
    assert rules.contact_tier_problem("professional", 1) is None
    assert rules.contact_tier_problem("professional", 2) is None
    assert rules.contact_tier_problem("professional", 3)
    assert rules.contact_tier_problem("coordinator", 3) is None
    assert rules.contact_tier_problem("coordinator", 1)
    assert all(rules.contact_tier_problem("leader", t) is None for t in (1, 2, 3))
    assert rules.contact_tier_problem("leader", None) == "不是联动单位"
    assert rules.shift_tier_problem(1) is None and rules.shift_tier_problem(2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 12, 1, 8, 0), "2026-12-01 08:00"),
        (datetime(2026, 12, 1, 7, 59, 59, 999_999), "2026-12-01 08:00"),
        (date(2026, 12, 1), "2026-12-01 00:00"),
        ("2026-12-01 08:00", "2026-12-01 08:00"),
        ("2026-12-01 8:00:30", "2026-12-01 08:00:30"),
        ("2026/12/1 08:00", "2026-12-01 08:00"),
        ("2026.12.01 08:00", "2026-12-01 08:00"),
        ("2026年12月1日 08：00", "2026-12-01 08:00"),
        ("2026-12-01T08:00", "2026-12-01 08:00"),
        ("2026-12-01", "2026-12-01 00:00"),
        ("2026-12-01 24:00", "2026-12-02 00:00"),
        ("2026-12-01T00:00:00Z", "2026-12-01 08:00"),
        (datetime.fromisoformat("2026-12-01T00:00:00+00:00"), "2026-12-01 08:00"),
    ],
)
def test_cells_read_as_beijing_time(value, expected):
    moment = cell_time(value)
    assert moment == bj(expected)
    assert moment is not None and moment.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "value",
    [None, "", "明天", "2026-13-01 08:00", "2026-02-30", "2026-12-01 24:30", "08:00", 46357, 1.5]
    + [time(8, 0), True],
)
def test_cells_that_are_not_times(value):
    assert cell_time(value) is None


def test_cells_read_as_text():
    assert cell_text(None) == ""
    assert cell_text("  王强 ") == "王强"
    assert cell_text(13800000000) == "13800000000"
    assert cell_text(13800000000.0) == "13800000000"
    assert cell_text(1.5) == "1.5"

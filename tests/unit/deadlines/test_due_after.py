"""Unit tests for liandong.sla.deadlines (pure Python, no Django): due_after (extensions and
custom limits) and the default limits.

The calendar is the shipped calendar-cn.yaml (tests/unit/cn_calendar.py); every expected value
below was worked out by hand from the 2025/2026 arrangements.
"""

from __future__ import annotations

import pytest

from liandong.sla.deadlines import (
    DEFAULT_LIMITS,
    DeadlinePlan,
    Due,
    LevelLimits,
    Limit,
    LimitUnit,
    due_after,
)
from tests.unit.cn_calendar import CAL
from tests.unit.deadlines.support import assert_beijing, dt

# ------------------------------------------------------------- due_after / extensions

DUE_AFTER_CASES: list[tuple[str, str, Limit, str, bool]] = [
    # (id, start, limit, expected_at, expected_provisional)
    ("ext-5wd-over-national-day-2026",  # Oct 8, 9, 10 (make-up), 12, 13
     "2026-09-30T10:00:00+08:00", Limit(5, LimitUnit.WORKING_DAYS),
     "2026-10-14T00:00:00+08:00", False),
    ("ext-5wd-over-spring-festival-2025",  # Jan 26 (make-up), 27, Feb 5, 6, 7
     "2025-01-24T10:00:00+08:00", Limit(5, LimitUnit.WORKING_DAYS),
     "2025-02-08T00:00:00+08:00", False),
    ("ext-5wd-ends-dec-31-2026",  # Dec 25, 28, 29, 30, 31
     "2026-12-24T10:00:00+08:00", Limit(5, LimitUnit.WORKING_DAYS),
     "2027-01-01T00:00:00+08:00", False),
    ("ext-5wd-into-2027-provisional",  # Dec 28, 29, 30, 31, 2027-01-01 (unknown)
     "2026-12-25T10:00:00+08:00", Limit(5, LimitUnit.WORKING_DAYS),
     "2027-01-02T00:00:00+08:00", True),
    ("ext-72h-over-national-day",
     "2026-09-30T10:00:00+08:00", Limit(72, LimitUnit.HOURS),
     "2026-10-03T10:00:00+08:00", False),
    ("ext-72h-into-2027-never-provisional",
     "2026-12-30T10:00:00+08:00", Limit(72, LimitUnit.HOURS),
     "2027-01-02T10:00:00+08:00", False),
    ("1wd-friday-evening",  # Mon 16
     "2026-03-13T18:00:00+08:00", Limit(1, LimitUnit.WORKING_DAYS),
     "2026-03-17T00:00:00+08:00", False),
    ("15min-crossing-midnight",
     "2026-03-13T23:50:00+08:00", Limit(15, LimitUnit.MINUTES),
     "2026-03-14T00:05:00+08:00", False),
    ("minutes-from-utc-input",
     "2026-03-13T15:50:00Z", Limit(15, LimitUnit.MINUTES),
     "2026-03-14T00:05:00+08:00", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "limit", "expected_at", "expected_provisional"),
    [case[1:] for case in DUE_AFTER_CASES],
    ids=[case[0] for case in DUE_AFTER_CASES],
)
def test_given_custom_limit_when_due_after_then_matches_hand_computed_due(
    start: str, limit: Limit, expected_at: str, expected_provisional: bool
) -> None:
    due = due_after(dt(start), limit, CAL)
    assert isinstance(due, Due)
    assert_beijing(due.at, expected_at)
    assert due.provisional is expected_provisional


def test_given_string_unit_when_building_limit_then_coerced_to_enum() -> None:
    limit = Limit(3, "working_days")  # type: ignore[arg-type]
    assert limit.unit is LimitUnit.WORKING_DAYS
    assert limit == Limit(3, LimitUnit.WORKING_DAYS)


def test_given_default_limits_then_match_the_specification() -> None:
    assert DEFAULT_LIMITS[1] == LevelLimits(
        sign=Limit(10, LimitUnit.MINUTES),
        feedback=Limit(2, LimitUnit.HOURS),
        result=Limit(24, LimitUnit.HOURS),
        caller_contact_minutes=5,
    )
    assert DEFAULT_LIMITS[2] == LevelLimits(
        sign=Limit(30, LimitUnit.MINUTES),
        feedback=Limit(48, LimitUnit.HOURS),
        result=Limit(3, LimitUnit.WORKING_DAYS),
        caller_contact_minutes=5,
    )


def test_given_one_provisional_due_then_plan_is_provisional() -> None:
    at = dt("2027-01-05T00:00:00+08:00")
    plan = DeadlinePlan(
        sign=Due(at, False), feedback=Due(at, False), result=Due(at, True),
        caller_contact_minutes=None,
    )  # fmt: skip
    assert plan.provisional is True

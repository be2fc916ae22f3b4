"""Unit tests for liandong.sla.deadlines (pure Python, no Django): bad input.

The calendar is the shipped calendar-cn.yaml (tests/unit/cn_calendar.py).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from liandong.sla.deadlines import (
    DEFAULT_LIMITS,
    DeadlinePlan,
    LevelLimits,
    Limit,
    LimitUnit,
    caller_contact_due,
    due_after,
    plan_deadlines,
)
from tests.unit.cn_calendar import CAL
from tests.unit.deadlines.support import P, dt

# ------------------------------------------------------------------------- errors


def _plan(**overrides: object) -> DeadlinePlan:
    kwargs: dict[str, object] = {
        "dispatched_at": dt("2026-03-09T09:00:00+08:00"),
        "limits": DEFAULT_LIMITS[2],
        "calendar": CAL,
        "tier": 1,
        "role": P,
    }
    kwargs.update(overrides)
    return plan_deadlines(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"dispatched_at": datetime(2026, 3, 9, 9, 0)}, "timezone-aware"),
        ({"role": "lead"}, "role"),
        ({"role": "Primary"}, "role"),
        ({"role": ""}, "role"),
        ({"tier": 0}, "tier"),
        ({"tier": 4}, "tier"),
        ({"tier": -1}, "tier"),
        ({"tier": True}, "tier"),
    ],
    ids=[
        "naive-dispatched-at",
        "unknown-role",
        "role-wrong-case",
        "empty-role",
        "tier-0",
        "tier-4",
        "tier-negative",
        "tier-bool",
    ],
)
def test_given_bad_input_when_planning_then_value_error(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        _plan(**overrides)


@pytest.mark.parametrize(
    "limit",
    [Limit(30, LimitUnit.MINUTES), Limit(48, LimitUnit.HOURS), Limit(3, LimitUnit.WORKING_DAYS)],
    ids=["minutes", "hours", "working-days"],
)
def test_given_naive_start_when_due_after_then_value_error(limit: Limit) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_after(datetime(2026, 3, 9, 9, 0), limit, CAL)


def test_given_naive_signed_at_when_caller_contact_due_then_value_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        caller_contact_due(datetime(2026, 3, 9, 9, 0), 5)


@pytest.mark.parametrize(
    ("amount", "unit"),
    [
        (0, LimitUnit.MINUTES),
        (-1, LimitUnit.HOURS),
        (0, LimitUnit.WORKING_DAYS),
        (-3, LimitUnit.WORKING_DAYS),
    ],
    ids=["zero-minutes", "negative-hours", "zero-working-days", "negative-working-days"],
)
def test_given_non_positive_amount_when_building_limit_then_value_error(
    amount: int, unit: LimitUnit
) -> None:
    with pytest.raises(ValueError, match="positive"):
        Limit(amount, unit)


def test_given_unknown_unit_when_building_limit_then_value_error() -> None:
    with pytest.raises(ValueError):
        Limit(3, "days")  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [0, -5], ids=["zero", "negative"])
def test_given_non_positive_minutes_when_caller_contact_due_then_value_error(
    minutes: int,
) -> None:
    with pytest.raises(ValueError, match="positive"):
        caller_contact_due(dt("2026-03-09T09:00:00+08:00"), minutes)


def test_given_non_positive_caller_contact_when_building_level_limits_then_value_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        LevelLimits(
            sign=Limit(10, LimitUnit.MINUTES),
            feedback=Limit(2, LimitUnit.HOURS),
            result=Limit(24, LimitUnit.HOURS),
            caller_contact_minutes=0,
        )

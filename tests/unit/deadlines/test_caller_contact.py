"""Unit tests for liandong.sla.deadlines (pure Python, no Django): the caller-contact time limit.

The calendar is the shipped calendar-cn.yaml (tests/unit/cn_calendar.py); every expected value
below was worked out by hand from the 2025/2026 arrangements.
"""

from __future__ import annotations

import pytest

from liandong.sla.deadlines import DEFAULT_LIMITS, caller_contact_due, plan_deadlines
from tests.unit.cn_calendar import CAL
from tests.unit.deadlines.support import C, P, assert_beijing, dt

# ------------------------------------------------------------------ caller contact


@pytest.mark.parametrize(
    ("tier", "role", "expected"),
    [
        (1, P, 5),
        (1, C, None),
        (2, P, None),
        (2, C, None),
        (3, P, None),
        (3, C, None),
    ],
    ids=[
        "tier1-primary",
        "tier1-cooperating",
        "tier2-primary",
        "tier2-cooperating",
        "tier3-primary",
        "tier3-cooperating",
    ],
)
@pytest.mark.parametrize("level", [1, 2], ids=["level1", "level2"])
def test_given_tier_and_role_when_planning_then_caller_contact_only_for_tier1_primary(
    level: int, tier: int, role: str, expected: int | None
) -> None:
    plan = plan_deadlines(
        dispatched_at=dt("2026-03-09T09:00:00+08:00"),
        limits=DEFAULT_LIMITS[level],
        calendar=CAL,
        tier=tier,
        role=role,
    )
    assert plan.caller_contact_minutes == expected


@pytest.mark.parametrize(
    ("signed_at", "minutes", "expected"),
    [
        ("2026-03-10T09:00:00+08:00", 5, "2026-03-10T09:05:00+08:00"),
        ("2026-03-10T23:58:00+08:00", 5, "2026-03-11T00:03:00+08:00"),
        ("2026-03-10T15:58:00Z", 5, "2026-03-11T00:03:00+08:00"),
        ("2026-12-31T23:59:30+08:00", 5, "2027-01-01T00:04:30+08:00"),
    ],
    ids=["ordinary", "crossing-midnight", "utc-input", "year-end"],
)
def test_given_signing_time_when_computing_caller_contact_due_then_wall_clock_in_beijing(
    signed_at: str, minutes: int, expected: str
) -> None:
    assert_beijing(caller_contact_due(dt(signed_at), minutes), expected)


def test_given_plan_when_signed_then_caller_contact_due_counts_from_signing() -> None:
    plan = plan_deadlines(
        dispatched_at=dt("2026-03-10T09:00:00+08:00"),
        limits=DEFAULT_LIMITS[1],
        calendar=CAL,
        tier=1,
        role=P,
    )
    assert plan.caller_contact_minutes == 5
    signed_at = dt("2026-03-10T09:07:00+08:00")
    assert_beijing(
        caller_contact_due(signed_at, plan.caller_contact_minutes), "2026-03-10T09:12:00+08:00"
    )

"""Unit tests for liandong.sla.deadlines (pure Python, no Django): the deadline plan of a
dispatch, table by table.

The calendar is the shipped calendar-cn.yaml (tests/unit/cn_calendar.py); every expected value
below was worked out by hand from the 2025/2026 arrangements (the comment on each row shows
the working-day count).
Level 1: sign +10 min, feedback +2 h, result +24 h (wall clock).
Level 2: sign +30 min, feedback +48 h (wall clock), result 3 working days: the dispatch day
is not counted and the period ends at 24:00 of the 3rd working day (= 00:00 of the next day).
"""

from __future__ import annotations

import pytest

from liandong.sla.deadlines import DEFAULT_LIMITS, plan_deadlines
from tests.unit.cn_calendar import CAL
from tests.unit.deadlines.support import C, P, assert_beijing, dt

# (id, dispatched_at, level, tier, role, sign, feedback, result, caller_contact, provisional)
PLAN_CASES: list[tuple[str, str, int, int, str, str, str, str, int | None, bool]] = [
    # ---- ordinary weeks, level 2 ------------------------------------------------------
    ("l2-ordinary-monday",  # Tue 10 (1), Wed 11 (2), Thu 12 (3)
     "2026-03-09T09:00:00+08:00", 2, 2, P,
     "2026-03-09T09:30:00+08:00", "2026-03-11T09:00:00+08:00", "2026-03-13T00:00:00+08:00",
     None, False),
    ("l2-ordinary-wednesday-tier1-primary",  # Thu 13 (1), Fri 14 (2), Mon 17 (3)
     "2025-03-12T14:20:00+08:00", 2, 1, P,
     "2025-03-12T14:50:00+08:00", "2025-03-14T14:20:00+08:00", "2025-03-18T00:00:00+08:00",
     5, False),
    ("l2-ordinary-friday",  # Mon 11-30 (1), Tue 12-01 (2), Wed 12-02 (3)
     "2026-11-27T15:00:00+08:00", 2, 2, C,
     "2026-11-27T15:30:00+08:00", "2026-11-29T15:00:00+08:00", "2026-12-03T00:00:00+08:00",
     None, False),
    ("l2-ordinary-saturday-tier3",  # Mon 16 (1), Tue 17 (2), Wed 18 (3)
     "2026-03-14T11:00:00+08:00", 2, 3, P,
     "2026-03-14T11:30:00+08:00", "2026-03-16T11:00:00+08:00", "2026-03-19T00:00:00+08:00",
     None, False),
    ("l2-ordinary-sunday-tier1-cooperating",  # Mon 17 (1), Tue 18 (2), Wed 19 (3)
     "2025-03-16T20:00:00+08:00", 2, 1, C,
     "2025-03-16T20:30:00+08:00", "2025-03-18T20:00:00+08:00", "2025-03-20T00:00:00+08:00",
     None, False),
    # ---- 2025 holiday blocks --------------------------------------------------------------
    ("l2-2025-before-new-year-from-2024",  # 01-01 hol, Thu 2 (1), Fri 3 (2), Mon 6 (3)
     "2024-12-31T10:00:00+08:00", 2, 2, P,
     "2024-12-31T10:30:00+08:00", "2025-01-02T10:00:00+08:00", "2025-01-07T00:00:00+08:00",
     None, False),
    ("l2-2025-before-spring-festival",  # 01-28..02-04 hol, Wed 5 (1), Thu 6 (2), Fri 7 (3)
     "2025-01-27T16:00:00+08:00", 2, 2, P,
     "2025-01-27T16:30:00+08:00", "2025-01-29T16:00:00+08:00", "2025-02-08T00:00:00+08:00",
     None, False),
    ("l2-2025-makeup-sunday-01-26",  # Sun 01-26 make-up (1), Mon 27 (2), hol, Wed 02-05 (3)
     "2025-01-24T10:00:00+08:00", 2, 1, P,
     "2025-01-24T10:30:00+08:00", "2025-01-26T10:00:00+08:00", "2025-02-06T00:00:00+08:00",
     5, False),
    ("l2-2025-makeup-saturday-02-08",  # Thu 6 (1), Fri 7 (2), Sat 8 make-up (3)
     "2025-02-05T09:00:00+08:00", 2, 2, P,
     "2025-02-05T09:30:00+08:00", "2025-02-07T09:00:00+08:00", "2025-02-09T00:00:00+08:00",
     None, False),
    ("l2-2025-before-qingming",  # 04-04..06 hol, Mon 7 (1), Tue 8 (2), Wed 9 (3)
     "2025-04-03T09:00:00+08:00", 2, 2, P,
     "2025-04-03T09:30:00+08:00", "2025-04-05T09:00:00+08:00", "2025-04-10T00:00:00+08:00",
     None, False),
    ("l2-2025-makeup-sunday-04-27",  # Sun 27 make-up (1), Mon 28 (2), Tue 29 (3)
     "2025-04-25T09:00:00+08:00", 2, 2, C,
     "2025-04-25T09:30:00+08:00", "2025-04-27T09:00:00+08:00", "2025-04-30T00:00:00+08:00",
     None, False),
    ("l2-2025-before-labour-day",  # 05-01..05 hol, Tue 6 (1), Wed 7 (2), Thu 8 (3)
     "2025-04-30T17:30:00+08:00", 2, 2, P,
     "2025-04-30T18:00:00+08:00", "2025-05-02T17:30:00+08:00", "2025-05-09T00:00:00+08:00",
     None, False),
    ("l2-2025-before-dragon-boat",  # 05-31..06-02 hol, Tue 3 (1), Wed 4 (2), Thu 5 (3)
     "2025-05-30T10:00:00+08:00", 2, 2, P,
     "2025-05-30T10:30:00+08:00", "2025-06-01T10:00:00+08:00", "2025-06-06T00:00:00+08:00",
     None, False),
    ("l2-2025-makeup-sunday-09-28",  # Sun 28 make-up (1), Mon 29 (2), Tue 30 (3)
     "2025-09-26T15:00:00+08:00", 2, 2, P,
     "2025-09-26T15:30:00+08:00", "2025-09-28T15:00:00+08:00", "2025-10-01T00:00:00+08:00",
     None, False),
    ("l2-2025-before-national-day",  # 10-01..08 hol, Thu 9 (1), Fri 10 (2), Sat 11 make-up (3)
     "2025-09-30T10:00:00+08:00", 2, 2, P,
     "2025-09-30T10:30:00+08:00", "2025-10-02T10:00:00+08:00", "2025-10-12T00:00:00+08:00",
     None, False),
    ("l2-2025-on-national-day-holiday",  # 10-04..08 hol, Thu 9 (1), Fri 10 (2), Sat 11 (3)
     "2025-10-03T22:00:00+08:00", 2, 2, P,
     "2025-10-03T22:30:00+08:00", "2025-10-05T22:00:00+08:00", "2025-10-12T00:00:00+08:00",
     None, False),
    ("l2-2025-on-makeup-saturday-10-11",  # Sun 12 off, Mon 13 (1), Tue 14 (2), Wed 15 (3)
     "2025-10-11T09:00:00+08:00", 2, 2, P,
     "2025-10-11T09:30:00+08:00", "2025-10-13T09:00:00+08:00", "2025-10-16T00:00:00+08:00",
     None, False),
    # ---- 2026 holiday blocks --------------------------------------------------------------
    ("l2-2026-before-new-year-year-end",  # 01-01..03 hol, Sun 4 make-up (1), Mon 5, Tue 6
     "2025-12-31T16:00:00+08:00", 2, 2, P,
     "2025-12-31T16:30:00+08:00", "2026-01-02T16:00:00+08:00", "2026-01-07T00:00:00+08:00",
     None, False),
    ("l2-2026-on-new-year-holiday",  # 02, 03 hol, Sun 4 make-up (1), Mon 5 (2), Tue 6 (3)
     "2026-01-01T08:00:00+08:00", 2, 2, P,
     "2026-01-01T08:30:00+08:00", "2026-01-03T08:00:00+08:00", "2026-01-07T00:00:00+08:00",
     None, False),
    ("l2-2026-on-makeup-sunday-01-04",  # Mon 5 (1), Tue 6 (2), Wed 7 (3)
     "2026-01-04T09:00:00+08:00", 2, 2, P,
     "2026-01-04T09:30:00+08:00", "2026-01-06T09:00:00+08:00", "2026-01-08T00:00:00+08:00",
     None, False),
    ("l2-2026-before-spring-festival",  # Sat 14 make-up (1), 15..23 hol, Tue 24 (2), Wed 25 (3)
     "2026-02-13T10:00:00+08:00", 2, 2, P,
     "2026-02-13T10:30:00+08:00", "2026-02-15T10:00:00+08:00", "2026-02-26T00:00:00+08:00",
     None, False),
    ("l2-2026-on-makeup-saturday-02-14",  # 15..23 hol, Tue 24 (1), Wed 25 (2), Thu 26 (3)
     "2026-02-14T09:00:00+08:00", 2, 1, P,
     "2026-02-14T09:30:00+08:00", "2026-02-16T09:00:00+08:00", "2026-02-27T00:00:00+08:00",
     5, False),
    ("l2-2026-on-spring-festival-holiday",  # 18..23 hol, Tue 24 (1), Wed 25 (2), Thu 26 (3)
     "2026-02-17T12:00:00+08:00", 2, 2, P,
     "2026-02-17T12:30:00+08:00", "2026-02-19T12:00:00+08:00", "2026-02-27T00:00:00+08:00",
     None, False),
    ("l2-2026-makeup-saturday-02-28-month-end",  # Fri 27 (1), Sat 28 make-up (2), Mon 03-02 (3)
     "2026-02-26T11:00:00+08:00", 2, 2, P,
     "2026-02-26T11:30:00+08:00", "2026-02-28T11:00:00+08:00", "2026-03-03T00:00:00+08:00",
     None, False),
    ("l2-2026-before-qingming",  # 04-04..06 hol, Tue 7 (1), Wed 8 (2), Thu 9 (3)
     "2026-04-03T18:00:00+08:00", 2, 2, P,
     "2026-04-03T18:30:00+08:00", "2026-04-05T18:00:00+08:00", "2026-04-10T00:00:00+08:00",
     None, False),
    ("l2-2026-before-labour-day",  # 05-01..05 hol, Wed 6 (1), Thu 7 (2), Fri 8 (3)
     "2026-04-30T09:00:00+08:00", 2, 2, P,
     "2026-04-30T09:30:00+08:00", "2026-05-02T09:00:00+08:00", "2026-05-09T00:00:00+08:00",
     None, False),
    ("l2-2026-makeup-saturday-05-09",  # Fri 8 (1), Sat 9 make-up (2), Sun off, Mon 11 (3)
     "2026-05-07T10:00:00+08:00", 2, 2, P,
     "2026-05-07T10:30:00+08:00", "2026-05-09T10:00:00+08:00", "2026-05-12T00:00:00+08:00",
     None, False),
    ("l2-2026-before-dragon-boat",  # 06-19..21 hol, Mon 22 (1), Tue 23 (2), Wed 24 (3)
     "2026-06-18T10:00:00+08:00", 2, 2, P,
     "2026-06-18T10:30:00+08:00", "2026-06-20T10:00:00+08:00", "2026-06-25T00:00:00+08:00",
     None, False),
    ("l2-2026-makeup-sunday-09-20",  # Sat off, Sun 20 make-up (1), Mon 21 (2), Tue 22 (3)
     "2026-09-18T10:00:00+08:00", 2, 2, P,
     "2026-09-18T10:30:00+08:00", "2026-09-20T10:00:00+08:00", "2026-09-23T00:00:00+08:00",
     None, False),
    ("l2-2026-before-mid-autumn",  # 09-25..27 hol, Mon 28 (1), Tue 29 (2), Wed 30 (3)
     "2026-09-24T10:00:00+08:00", 2, 2, P,
     "2026-09-24T10:30:00+08:00", "2026-09-26T10:00:00+08:00", "2026-10-01T00:00:00+08:00",
     None, False),
    ("l2-2026-before-national-day",  # 10-01..07 hol, Thu 8 (1), Fri 9 (2), Sat 10 make-up (3)
     "2026-09-30T10:00:00+08:00", 2, 2, P,
     "2026-09-30T10:30:00+08:00", "2026-10-02T10:00:00+08:00", "2026-10-11T00:00:00+08:00",
     None, False),
    ("l2-2026-on-makeup-saturday-10-10",  # Sun 11 off, Mon 12 (1), Tue 13 (2), Wed 14 (3)
     "2026-10-10T14:00:00+08:00", 2, 2, P,
     "2026-10-10T14:30:00+08:00", "2026-10-12T14:00:00+08:00", "2026-10-15T00:00:00+08:00",
     None, False),
    # ---- day boundaries -------------------------------------------------------------------
    ("l2-at-2359-tuesday",  # Wed 11 (1), Thu 12 (2), Fri 13 (3)
     "2026-03-10T23:59:00+08:00", 2, 2, P,
     "2026-03-11T00:29:00+08:00", "2026-03-12T23:59:00+08:00", "2026-03-14T00:00:00+08:00",
     None, False),
    ("l2-at-0000-wednesday-day-not-counted",  # Thu 12 (1), Fri 13 (2), Mon 16 (3)
     "2026-03-11T00:00:00+08:00", 2, 2, P,
     "2026-03-11T00:30:00+08:00", "2026-03-13T00:00:00+08:00", "2026-03-17T00:00:00+08:00",
     None, False),
    ("l2-at-235959-friday",  # Mon 16 (1), Tue 17 (2), Wed 18 (3)
     "2026-03-13T23:59:59+08:00", 2, 2, P,
     "2026-03-14T00:29:59+08:00", "2026-03-15T23:59:59+08:00", "2026-03-19T00:00:00+08:00",
     None, False),
    ("l2-at-000000-saturday",  # Mon 16 (1), Tue 17 (2), Wed 18 (3)
     "2026-03-14T00:00:00+08:00", 2, 2, P,
     "2026-03-14T00:30:00+08:00", "2026-03-16T00:00:00+08:00", "2026-03-19T00:00:00+08:00",
     None, False),
    ("l2-at-2359-last-holiday-of-national-day",  # Thu 8 (1), Fri 9 (2), Sat 10 make-up (3)
     "2026-10-07T23:59:00+08:00", 2, 2, P,
     "2026-10-08T00:29:00+08:00", "2026-10-09T23:59:00+08:00", "2026-10-11T00:00:00+08:00",
     None, False),
    ("l2-at-000000-first-day-after-national-day",  # Fri 9 (1), Sat 10 (2), Mon 12 (3)
     "2026-10-08T00:00:00+08:00", 2, 2, P,
     "2026-10-08T00:30:00+08:00", "2026-10-10T00:00:00+08:00", "2026-10-13T00:00:00+08:00",
     None, False),
    # ---- level 1: wall clock only, never provisional -----------------------------------
    ("l1-crossing-midnight-tier1-primary",
     "2026-03-10T23:55:00+08:00", 1, 1, P,
     "2026-03-11T00:05:00+08:00", "2026-03-11T01:55:00+08:00", "2026-03-11T23:55:00+08:00",
     5, False),
    ("l1-month-end-tier1-cooperating",
     "2026-04-30T23:00:00+08:00", 1, 1, C,
     "2026-04-30T23:10:00+08:00", "2026-05-01T01:00:00+08:00", "2026-05-01T23:00:00+08:00",
     None, False),
    ("l1-year-end-into-unknown-2027",
     "2026-12-31T22:30:00+08:00", 1, 1, P,
     "2026-12-31T22:40:00+08:00", "2027-01-01T00:30:00+08:00", "2027-01-01T22:30:00+08:00",
     5, False),
    ("l1-on-holiday-tier2-primary",
     "2025-10-01T08:00:00+08:00", 1, 2, P,
     "2025-10-01T08:10:00+08:00", "2025-10-01T10:00:00+08:00", "2025-10-02T08:00:00+08:00",
     None, False),
    ("l1-unknown-year-2024-tier3-primary",
     "2024-03-15T12:00:00+08:00", 1, 3, P,
     "2024-03-15T12:10:00+08:00", "2024-03-15T14:00:00+08:00", "2024-03-16T12:00:00+08:00",
     None, False),
    ("l1-leap-day-2024-tier3-cooperating",
     "2024-02-28T23:30:00+08:00", 1, 3, C,
     "2024-02-28T23:40:00+08:00", "2024-02-29T01:30:00+08:00", "2024-02-29T23:30:00+08:00",
     None, False),
    ("l1-utc-input-converted-to-beijing",  # 16:30Z == 00:30 next day in Beijing
     "2026-03-02T16:30:00Z", 1, 1, P,
     "2026-03-03T00:40:00+08:00", "2026-03-03T02:30:00+08:00", "2026-03-04T00:30:00+08:00",
     5, False),
    # ---- unknown years: weekends-only, provisional -----------------------------------
    ("l2-2026-ends-on-dec-31-not-provisional",  # Tue 29 (1), Wed 30 (2), Thu 31 (3)
     "2026-12-28T10:00:00+08:00", 2, 2, P,
     "2026-12-28T10:30:00+08:00", "2026-12-30T10:00:00+08:00", "2027-01-01T00:00:00+08:00",
     None, False),
    ("l2-2026-dec-30-into-2027-provisional",  # Thu 31 (1), Fri 2027-01-01 (2), Mon 4 (3)
     "2026-12-30T10:00:00+08:00", 2, 2, P,
     "2026-12-30T10:30:00+08:00", "2027-01-01T10:00:00+08:00", "2027-01-05T00:00:00+08:00",
     None, True),
    ("l2-2026-dec-31-into-2027-provisional",  # Fri 01-01 (1), Mon 4 (2), Tue 5 (3)
     "2026-12-31T09:00:00+08:00", 2, 1, P,
     "2026-12-31T09:30:00+08:00", "2027-01-02T09:00:00+08:00", "2027-01-06T00:00:00+08:00",
     5, True),
    ("l2-2024-unknown-year-provisional",  # Mon 18 (1), Tue 19 (2), Wed 20 (3)
     "2024-03-15T10:00:00+08:00", 2, 2, P,
     "2024-03-15T10:30:00+08:00", "2024-03-17T10:00:00+08:00", "2024-03-21T00:00:00+08:00",
     None, True),
    # ---- other offsets ----------------------------------------------------------------------
    ("l2-utc-input-is-tuesday-in-beijing",  # Beijing Tue 03-03: Wed 4 (1), Thu 5 (2), Fri 6 (3)
     "2026-03-02T16:30:00Z", 2, 2, P,
     "2026-03-03T01:00:00+08:00", "2026-03-05T00:30:00+08:00", "2026-03-07T00:00:00+08:00",
     None, False),
    ("l2-utc-input-is-makeup-saturday-in-beijing",  # Beijing Sat 02-14: Tue 24, Wed 25, Thu 26
     "2026-02-13T16:00:00+00:00", 2, 2, P,
     "2026-02-14T00:30:00+08:00", "2026-02-16T00:00:00+08:00", "2026-02-27T00:00:00+08:00",
     None, False),
    ("l2-minus-0500-input-is-wednesday-in-beijing",  # Beijing Wed 01:00: Thu 12, Fri 13, Mon 16
     "2026-03-10T12:00:00-05:00", 2, 3, C,
     "2026-03-11T01:30:00+08:00", "2026-03-13T01:00:00+08:00", "2026-03-17T00:00:00+08:00",
     None, False),
]  # fmt: skip


@pytest.mark.parametrize(
    (
        "dispatched_at",
        "level",
        "tier",
        "role",
        "sign",
        "feedback",
        "result",
        "caller_contact",
        "provisional",
    ),
    [case[1:] for case in PLAN_CASES],
    ids=[case[0] for case in PLAN_CASES],
)
def test_given_dispatch_when_planning_deadlines_then_matches_hand_computed_plan(
    dispatched_at: str,
    level: int,
    tier: int,
    role: str,
    sign: str,
    feedback: str,
    result: str,
    caller_contact: int | None,
    provisional: bool,
) -> None:
    # given
    limits = DEFAULT_LIMITS[level]
    # when
    plan = plan_deadlines(
        dispatched_at=dt(dispatched_at), limits=limits, calendar=CAL, tier=tier, role=role
    )
    # then
    assert_beijing(plan.sign.at, sign)
    assert_beijing(plan.feedback.at, feedback)
    assert_beijing(plan.result.at, result)
    assert plan.caller_contact_minutes == caller_contact
    assert plan.provisional is provisional
    assert plan.sign.provisional is False
    assert plan.feedback.provisional is False
    assert plan.result.provisional is provisional


def test_given_plan_cases_then_there_are_at_least_45() -> None:
    assert len(PLAN_CASES) >= 45
    assert len({case[0] for case in PLAN_CASES}) == len(PLAN_CASES)

"""Unit tests for liandong.sla.deadlines (pure Python, no Django, no files).

Every expected value below was worked out by hand from the 2025/2026 arrangements
(calendar-cn.yaml); the comment on each row shows the working-day count.
Level 1: sign +10 min, feedback +2 h, result +24 h (wall clock).
Level 2: sign +30 min, feedback +48 h (wall clock), result 3 working days: the dispatch day
is not counted and the period ends at 24:00 of the 3rd working day (= 00:00 of the next day).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liandong.sla.deadlines import (
    DEFAULT_LIMITS,
    DeadlinePlan,
    Due,
    LevelLimits,
    Limit,
    LimitUnit,
    caller_contact_due,
    due_after,
    plan_deadlines,
)
from liandong.sla.workcal import WorkCalendar

# Literal copy of src/liandong/defaults/calendar-cn.yaml (2025 and 2026).
CN_CALENDAR_DATA: dict[int, dict[str, list[str]]] = {
    2025: {
        "holidays": [
            "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
            "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04", "2025-04-04",
            "2025-04-05", "2025-04-06", "2025-05-01", "2025-05-02", "2025-05-03",
            "2025-05-04", "2025-05-05", "2025-05-31", "2025-06-01", "2025-06-02",
            "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05",
            "2025-10-06", "2025-10-07", "2025-10-08",
        ],
        "makeup_workdays": [
            "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
        ],
    },
    2026: {
        "holidays": [
            "2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16",
            "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-21",
            "2026-02-22", "2026-02-23", "2026-04-04", "2026-04-05", "2026-04-06",
            "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
            "2026-06-19", "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26",
            "2026-09-27", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
            "2026-10-05", "2026-10-06", "2026-10-07",
        ],
        "makeup_workdays": [
            "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
            "2026-10-10",
        ],
    },
}  # fmt: skip

CAL = WorkCalendar.from_mapping(CN_CALENDAR_DATA)
BEIJING_OFFSET = timedelta(hours=8)


def dt(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def assert_beijing(actual: datetime, expected_iso: str) -> None:
    """Same instant, and expressed in Asia/Shanghai (+08:00)."""
    assert actual == dt(expected_iso), f"{actual.isoformat()} != {expected_iso}"
    assert str(actual.tzinfo) == "Asia/Shanghai"
    assert actual.utcoffset() == BEIJING_OFFSET
    assert actual.isoformat() == dt(expected_iso).isoformat()


P, C = "primary", "cooperating"

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

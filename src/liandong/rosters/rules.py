"""Pure roster rules (no database): the longest shift, phone numbers, which kind of contact each
tier keeps, and the interval arithmetic behind coverage gaps. Shared by the models' validation,
the import and the selectors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from liandong import clock

#: The longest shift: a 24-hour duty (24小时值班, handed over once a day) is the longest duty
#: pattern in use; anything longer is almost always a mistyped date, so it is refused.
MAX_SHIFT = timedelta(hours=24)

PHONE_CHARACTERS = frozenset("0123456789+- ")
PHONE_MIN_DIGITS = 5
PHONE_MAX_DIGITS = 20
PHONE_RULE = f"联系电话应为{PHONE_MIN_DIGITS}至{PHONE_MAX_DIGITS}位数字，可含 + - 和空格"

# Contact kinds (the values stored in UnitContact.kind).
PROFESSIONAL = "professional"
COORDINATOR = "coordinator"
LEADER = "leader"

#: The tiers that may keep each kind of contact. Professional contacts are the tier-2 duty
#: (三定) and the fallback of a tier-1 unit whose roster has a hole; coordinators are the tier-3
#: duty; every linkage unit may name its leaders.
TIERS_OF_KIND: dict[str, frozenset[int]] = {
    PROFESSIONAL: frozenset({1, 2}),
    COORDINATOR: frozenset({3}),
    LEADER: frozenset({1, 2, 3}),
}

#: The contact kind that answers for a unit of each tier when no shift applies.
DUTY_KIND_OF_TIER: dict[int, str] = {1: PROFESSIONAL, 2: PROFESSIONAL, 3: COORDINATOR}

Interval = tuple[datetime, datetime]


def phone_problem(value: str) -> str | None:
    """Why `value` is not an acceptable phone number, or None when it is."""
    digits = sum(c.isdigit() for c in value)
    if not value or any(c not in PHONE_CHARACTERS for c in value) or "+" in value[1:]:
        return PHONE_RULE
    if not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
        return PHONE_RULE
    return None


def phone_digits(value: str) -> str:
    """The digits of a phone number, for matching numbers written differently."""
    return "".join(c for c in value if c.isdigit())


def shift_problem(starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a shift from `starts_at` to `ends_at` is not acceptable, or None when it is."""
    if ends_at <= starts_at:
        return "结束时间应晚于开始时间"
    if ends_at - starts_at > MAX_SHIFT:
        hours = int(MAX_SHIFT.total_seconds() // 3600)
        return f"一个班次不能超过{hours}小时"
    return None


def shift_tier_problem(tier: int | None) -> str | None:
    """Only tier-1 units keep a duty roster (四定); tier-2 and tier-3 units are reached through
    their contacts, so shifts for them would never be read and are refused."""
    if tier != 1:
        return "只有一级联动单位填写值班表；二级单位请填写专业联系人，三级单位请填写协调员"
    return None


def contact_tier_problem(kind: str, tier: int | None) -> str | None:
    if tier is None:
        return "不是联动单位"
    if tier not in TIERS_OF_KIND.get(kind, frozenset()):
        if kind == PROFESSIONAL:
            return "专业联系人只用于一级、二级联动单位"
        if kind == COORDINATOR:
            return "协调员只用于三级联动单位"
        return "未知的联系人类型"
    return None


def uncovered(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of [start, end) that no interval covers, in order, in Beijing time. Intervals are
    half-open [from, to): a shift ending at 08:00 and one starting at 08:00 leave no gap."""
    start, end = clock.to_beijing(start), clock.to_beijing(end)
    gaps: list[Interval] = []
    cursor = start
    for begins, ends in sorted(intervals):
        if cursor >= end:
            break
        if ends <= cursor:
            continue
        if begins >= end:
            break
        if begins > cursor:
            gaps.append((cursor, clock.to_beijing(begins)))
        cursor = max(cursor, clock.to_beijing(ends))
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def day_start(moment: datetime) -> datetime:
    """00:00 Beijing time of the day `moment` falls on."""
    return clock.to_beijing(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def next_day_start(moment: datetime) -> datetime:
    """24:00 Beijing time of the day `moment` falls on (00:00 of the next day). China has no
    daylight saving, so a day is always 24 hours."""
    return day_start(moment) + timedelta(days=1)

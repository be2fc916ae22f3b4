"""Deadline computation for dispatched instructions.

Pure standard library; no Django here.

Limits in minutes or hours run on the wall clock (elapsed time). Limits in working
days follow the PRC Civil Code: the day on which the period starts is not counted
(art. 201), and the period ends at 24:00 of its last day (art. 203), represented here
as 00:00 Asia/Shanghai of the following calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from liandong.sla.workcal import WorkCalendar

__all__ = [
    "DEFAULT_LIMITS",
    "ROLES",
    "SHANGHAI",
    "TIERS",
    "DeadlinePlan",
    "Due",
    "LevelLimits",
    "Limit",
    "LimitUnit",
    "caller_contact_due",
    "due_after",
    "plan_deadlines",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

ROLE_PRIMARY = "primary"
ROLE_COOPERATING = "cooperating"
ROLES = frozenset({ROLE_PRIMARY, ROLE_COOPERATING})
TIERS = frozenset({1, 2, 3})


class LimitUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    WORKING_DAYS = "working_days"


def _check_positive_int(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")


def _require_aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


def _wall_clock(start: datetime, delta: timedelta) -> datetime:
    # Add elapsed time in UTC so the result is right whatever zone `start` carries.
    return (start.astimezone(UTC) + delta).astimezone(SHANGHAI)


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        _check_positive_int(self.amount, "Limit.amount")
        # Accept the plain string value too (e.g. read from configuration).
        object.__setattr__(self, "unit", LimitUnit(self.unit))


@dataclass(frozen=True)
class LevelLimits:
    sign: Limit
    feedback: Limit
    result: Limit
    # Applies only to the primary unit in tier 1, counted from signing.
    caller_contact_minutes: int | None

    def __post_init__(self) -> None:
        if self.caller_contact_minutes is not None:
            _check_positive_int(self.caller_contact_minutes, "caller_contact_minutes")


DEFAULT_LIMITS: dict[int, LevelLimits] = {
    1: LevelLimits(
        sign=Limit(10, LimitUnit.MINUTES),
        feedback=Limit(2, LimitUnit.HOURS),
        result=Limit(24, LimitUnit.HOURS),
        caller_contact_minutes=5,
    ),
    2: LevelLimits(
        sign=Limit(30, LimitUnit.MINUTES),
        feedback=Limit(48, LimitUnit.HOURS),
        result=Limit(3, LimitUnit.WORKING_DAYS),
        caller_contact_minutes=5,
    ),
}


@dataclass(frozen=True)
class Due:
    at: datetime  # aware, in Asia/Shanghai
    provisional: bool  # depends on a year whose holiday arrangement is not known


def due_after(start: datetime, limit: Limit, calendar: WorkCalendar) -> Due:
    """When ``limit`` counted from ``start`` runs out."""
    _require_aware(start, "start")
    if limit.unit is LimitUnit.MINUTES:
        return Due(at=_wall_clock(start, timedelta(minutes=limit.amount)), provisional=False)
    if limit.unit is LimitUnit.HOURS:
        return Due(at=_wall_clock(start, timedelta(hours=limit.amount)), provisional=False)
    if limit.unit is LimitUnit.WORKING_DAYS:
        start_day = start.astimezone(SHANGHAI).date()
        last_day, provisional = calendar.add_working_days(start_day, limit.amount)
        # 24:00 of the last day == 00:00 of the next calendar day.
        end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        return Due(at=end, provisional=provisional)
    raise ValueError(f"unsupported limit unit {limit.unit!r}")  # pragma: no cover


@dataclass(frozen=True)
class DeadlinePlan:
    sign: Due
    feedback: Due
    result: Due
    caller_contact_minutes: int | None

    @property
    def provisional(self) -> bool:
        return self.sign.provisional or self.feedback.provisional or self.result.provisional


def plan_deadlines(
    *,
    dispatched_at: datetime,
    limits: LevelLimits,
    calendar: WorkCalendar,
    tier: int,
    role: str,
) -> DeadlinePlan:
    """All deadlines of one instruction dispatched to one unit."""
    _require_aware(dispatched_at, "dispatched_at")
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}")
    if isinstance(tier, bool) or not isinstance(tier, int) or tier not in TIERS:
        raise ValueError(f"tier must be one of {sorted(TIERS)}, got {tier!r}")
    contact = limits.caller_contact_minutes if tier == 1 and role == ROLE_PRIMARY else None
    return DeadlinePlan(
        sign=due_after(dispatched_at, limits.sign, calendar),
        feedback=due_after(dispatched_at, limits.feedback, calendar),
        result=due_after(dispatched_at, limits.result, calendar),
        caller_contact_minutes=contact,
    )


def caller_contact_due(signed_at: datetime, minutes: int) -> datetime:
    """When the primary unit must have contacted the caller, counted from signing."""
    _require_aware(signed_at, "signed_at")
    _check_positive_int(minutes, "minutes")
    return _wall_clock(signed_at, timedelta(minutes=minutes))

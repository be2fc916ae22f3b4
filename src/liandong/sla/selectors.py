"""Reads of the stored calendar and time limits, and the bridge from them to the pure deadline
arithmetic (workcal.py, deadlines.py)."""

from __future__ import annotations

from datetime import datetime

from liandong.sla.deadlines import (
    DEFAULT_LIMITS,
    DeadlinePlan,
    LevelLimits,
    Limit,
    LimitUnit,
    plan_deadlines,
)
from liandong.sla.models import HolidayYear, TimeLimitSetting
from liandong.sla.workcal import WorkCalendar


def load_calendar() -> WorkCalendar:
    return WorkCalendar.from_mapping(
        {
            row.year: {"holidays": row.holidays, "makeup_workdays": row.makeup_workdays}
            for row in HolidayYear.objects.all()
        }
    )


def limits_for_level(level: int) -> LevelLimits:
    row = TimeLimitSetting.objects.filter(level=level).first()
    if row is None:
        return DEFAULT_LIMITS[level]
    return LevelLimits(
        sign=Limit(row.sign_amount, LimitUnit(row.sign_unit)),
        feedback=Limit(row.feedback_amount, LimitUnit(row.feedback_unit)),
        result=Limit(row.result_amount, LimitUnit(row.result_unit)),
        caller_contact_minutes=row.caller_contact_minutes,
    )


def warning_shares() -> dict[int, float]:
    """The share of its time after which a running deadline shows as 即将超时, per level."""
    shares = {1: 0.8, 2: 0.8}
    shares.update(TimeLimitSetting.objects.values_list("level", "warning_share"))
    return shares


def plan_for(*, level: int, dispatched_at: datetime, tier: int, role: str) -> DeadlinePlan:
    return plan_deadlines(
        dispatched_at=dispatched_at,
        limits=limits_for_level(level),
        calendar=load_calendar(),
        tier=tier,
        role=role,
    )

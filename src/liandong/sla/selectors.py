"""Reads of the stored calendar and time limits, and the bridge from them to the pure deadline
arithmetic (workcal.py, deadlines.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liandong.sla.deadlines import (
    DEFAULT_LIMITS,
    DeadlinePlan,
    LevelLimits,
    Limit,
    LimitUnit,
    plan_deadlines,
)
from liandong.sla.models import EscalationStep, HolidayYear, TimeLimitSetting
from liandong.sla.watch import DEFAULT_ESCALATE_AFTER_MINUTES, DEFAULT_LADDER, Audience, Stage
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


@dataclass(frozen=True)
class LevelWatch:
    """The watch's settings for one level: warning share per deadline kind, the delay from a
    breach to the supervision proposal, and the ladder (stage → audiences)."""

    shares: dict[str, float]
    escalate_after_minutes: int | None
    ladder: dict[Stage, tuple[Audience, ...]]

    def share(self, kind: str) -> float:
        return self.shares.get(kind, 0.8)


def watch_settings() -> dict[int, LevelWatch]:
    rows = {row.level: row for row in TimeLimitSetting.objects.all()}
    steps: dict[int, dict[Stage, list[Audience]]] = {1: {}, 2: {}}
    for level, stage, audience in EscalationStep.objects.values_list("level", "stage", "audience"):
        steps.setdefault(level, {}).setdefault(Stage(stage), []).append(Audience(audience))
    out = {}
    for level in (1, 2):
        row = rows.get(level)
        shares = (
            {
                "sign": row.sign_warning_share,
                "caller_contact": row.caller_contact_warning_share,
                "feedback": row.feedback_warning_share,
                "result": row.result_warning_share,
            }
            if row
            else {}
        )
        ladder = {stage: tuple(a) for stage, a in steps.get(level, {}).items()}
        out[level] = LevelWatch(
            shares=shares,
            escalate_after_minutes=row.escalate_after_minutes
            if row
            else DEFAULT_ESCALATE_AFTER_MINUTES[level],
            ladder=ladder if ladder or EscalationStep.objects.exists() else dict(DEFAULT_LADDER),
        )
    return out


def plan_for(*, level: int, dispatched_at: datetime, tier: int, role: str) -> DeadlinePlan:
    return plan_deadlines(
        dispatched_at=dispatched_at,
        limits=limits_for_level(level),
        calendar=load_calendar(),
        tier=tier,
        role=role,
    )

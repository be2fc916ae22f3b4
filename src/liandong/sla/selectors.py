"""Reads of the stored calendar and time limits, and the bridge from them to the pure deadline
arithmetic (workcal.py, deadlines.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from liandong.common.kept import Kept
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

T = TypeVar("T")


def load_calendar() -> WorkCalendar:
    """The stored arrangement, read now (the recompute after an edit needs exactly this)."""
    return WorkCalendar.from_mapping(
        {
            row.year: {"holidays": row.holidays, "makeup_workdays": row.makeup_workdays}
            for row in HolidayYear.objects.all()
        }
    )


# --- the process's copy of the settings every dispatch reads ------------------------------------
#
# A dispatch plans three clocks per instruction from the working calendar, the level's limits and
# the watch's settings. They change a few times a year, so each process keeps them for at most
# SETTINGS_SECONDS; a write in this process forgets them at once (forget_calendar, connected to
# HolidayYear, TimeLimitSetting and EscalationStep in apps.py). Another process sees an edit within
# SETTINGS_SECONDS, as with the triage catalogue.

SETTINGS_SECONDS = 30.0


def _kept_limits(level: int) -> Kept[LevelLimits]:
    return Kept(lambda: limits_for_level(level), seconds=SETTINGS_SECONDS)


_calendar: Kept[WorkCalendar] = Kept(load_calendar, seconds=SETTINGS_SECONDS)
_limits = {level: _kept_limits(level) for level in DEFAULT_LIMITS}
_watch: Kept[dict[int, LevelWatch]] = Kept(lambda: watch_settings(), seconds=SETTINGS_SECONDS)


def forget_calendar(**kwargs: object) -> None:
    """Forget the process's calendar, limits and watch settings (call after writing any of them;
    a signal receiver, hence **kwargs)."""
    _calendar.forget()
    _watch.forget()
    for kept in _limits.values():
        kept.forget()


def cached_calendar() -> WorkCalendar:
    """load_calendar, kept by the process (see above)."""
    return _calendar.get()


def cached_limits(level: int) -> LevelLimits:
    kept = _limits.get(level)
    return kept.get() if kept is not None else limits_for_level(level)


def cached_watch_settings() -> dict[int, LevelWatch]:
    return _watch.get()


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
    """The clocks of a new instruction, from the process's copy of the settings."""
    return plan_deadlines(
        dispatched_at=dispatched_at,
        limits=cached_limits(level),
        calendar=cached_calendar(),
        tier=tier,
        role=role,
    )

"""Reads and writes of the stored calendar and time limits, and the bridge from them to the pure
deadline arithmetic."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction

from liandong.common.errors import FieldError, InvalidInput
from liandong.sla.deadlines import (
    DEFAULT_LIMITS,
    DeadlinePlan,
    LevelLimits,
    Limit,
    LimitUnit,
    due_after,
    plan_deadlines,
)
from liandong.sla.models import HolidayYear, TimeLimitSetting
from liandong.sla.workcal import CalendarError, WorkCalendar, parse_year_arrangement


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


def ensure_default_time_limits() -> None:
    for level, limits in DEFAULT_LIMITS.items():
        TimeLimitSetting.objects.get_or_create(
            level=level,
            defaults={
                "sign_amount": limits.sign.amount,
                "sign_unit": limits.sign.unit.value,
                "feedback_amount": limits.feedback.amount,
                "feedback_unit": limits.feedback.unit.value,
                "result_amount": limits.result.amount,
                "result_unit": limits.result.unit.value,
                "caller_contact_minutes": limits.caller_contact_minutes,
            },
        )


@transaction.atomic
def do_save_holiday_year(
    *,
    year: int,
    holidays: Iterable[date | str],
    makeup_workdays: Iterable[date | str],
    source: str = "",
) -> HolidayYear:
    """Enter or correct one year's arrangement, then recompute every open deadline that the
    change can move (those counted in working days and not yet met or extended)."""
    try:
        arrangement = parse_year_arrangement(year, holidays, makeup_workdays)
    except CalendarError as exc:
        raise InvalidInput([FieldError("holidays", "invalid_date", str(exc))]) from exc
    if not 2000 <= year <= 2100:
        raise InvalidInput.one("year", "out_of_range", "年份应在2000至2100之间")
    row, _ = HolidayYear.objects.update_or_create(
        year=year,
        defaults={
            "holidays": sorted(d.isoformat() for d in arrangement.holidays),
            "makeup_workdays": sorted(d.isoformat() for d in arrangement.makeup_workdays),
            "source": source,
        },
    )
    recompute_working_day_deadlines()
    return row


def recompute_working_day_deadlines() -> int:
    """Recompute open deadlines counted in working days. Returns how many changed."""
    from liandong.incidents.actions import do_recompute_deadline
    from liandong.incidents.models import Deadline, DeadlineState

    calendar = load_calendar()
    changed = 0
    open_rows = Deadline.objects.filter(
        state=DeadlineState.OPEN, limit_unit=LimitUnit.WORKING_DAYS.value, extended_at=None
    ).select_related("instruction__incident")
    for deadline in open_rows:
        due = due_after(
            deadline.starts_at, Limit(deadline.limit_amount, LimitUnit.WORKING_DAYS), calendar
        )
        if due.at != deadline.due_at or due.provisional != deadline.provisional:
            do_recompute_deadline(deadline=deadline, due_at=due.at, provisional=due.provisional)
            changed += 1
    return changed


def do_import_calendar_yaml(*, text: str, source: str = "") -> list[int]:
    """Import years from YAML shaped like the shipped calendar-cn.yaml. All years or none."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput.one("file", "invalid_yaml", f"文件不是有效的YAML：{exc}") from exc
    if not isinstance(data, dict) or not data:
        raise InvalidInput.one(
            "file", "invalid_shape", "文件应按年份列出 holidays 和 makeup_workdays"
        )
    years = []
    with transaction.atomic():
        for year, arrangement in sorted(data.items(), key=lambda item: str(item[0])):
            if not str(year).isdigit() or not isinstance(arrangement or {}, dict):
                raise InvalidInput.one("file", "invalid_shape", f"无法识别的年份：{year}")
            try:
                do_save_holiday_year(
                    year=int(year),
                    holidays=(arrangement or {}).get("holidays", []),
                    makeup_workdays=(arrangement or {}).get("makeup_workdays", []),
                    source=source,
                )
            except InvalidInput as exc:
                problems = "；".join(f.message for f in exc.fields)
                raise InvalidInput.one("file", "invalid_date", f"{year}年：{problems}") from exc
            years.append(int(year))
    return years

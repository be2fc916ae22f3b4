"""Writes of the stored calendar and time limits.

The deadlines counted on the calendar live in another app (incidents), which registers a hook here:
every change of the arrangement calls the hooks inside its own transaction, so the open deadlines
move with the calendar (or not at all). This app never imports the incidents app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.db import transaction

from liandong.common.errors import FieldError, InvalidInput
from liandong.sla.deadlines import DEFAULT_LIMITS
from liandong.sla.models import EscalationStep, HolidayYear, TimeLimitSetting
from liandong.sla.watch import DEFAULT_ESCALATE_AFTER_MINUTES, DEFAULT_LADDER
from liandong.sla.workcal import CalendarError, parse_year_arrangement

CalendarHook = Callable[[], object]
_calendar_hooks: list[CalendarHook] = []


def register_calendar_hook(hook: CalendarHook) -> None:
    """Called (without arguments) inside the transaction of every change of the arrangement."""
    if hook not in _calendar_hooks:
        _calendar_hooks.append(hook)


@transaction.atomic
def ensure_default_time_limits() -> None:
    """The plan's time limits, the default warning shares and escalation ladder (kept if edited)."""
    if not EscalationStep.objects.exists():
        EscalationStep.objects.bulk_create(
            EscalationStep(level=level, stage=stage, audience=audience)
            for level in (1, 2)
            for stage, audiences in DEFAULT_LADDER.items()
            for audience in audiences
        )
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
                "escalate_after_minutes": DEFAULT_ESCALATE_AFTER_MINUTES[level],
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
    for hook in _calendar_hooks:
        hook()
    return row


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

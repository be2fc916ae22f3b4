"""Default holiday calendar and time limits for a new installation."""

from __future__ import annotations

from liandong.defaults import read as read_default
from liandong.sla.models import HolidayYear
from liandong.sla.services import do_save_holiday_year, ensure_default_time_limits


def load_default_calendar() -> None:
    data = read_default("calendar-cn.yaml")
    for year, arrangement in data.items():
        if HolidayYear.objects.filter(year=year).exists():
            continue
        do_save_holiday_year(
            year=int(year),
            holidays=arrangement.get("holidays", []),
            makeup_workdays=arrangement.get("makeup_workdays", []),
            source="国务院办公厅关于部分节假日安排的通知",
        )
    ensure_default_time_limits()

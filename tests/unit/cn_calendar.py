"""China's 2025/2026 holiday arrangements as the product ships them, read from the installed
package's liandong/defaults/calendar-cn.yaml (not a hand copy of it), for the table tests of
liandong.sla. Their expected values stay worked out by hand from the published notices."""

from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files

import yaml

from liandong.sla.workcal import WorkCalendar

CALENDAR_FILE = files("liandong.defaults").joinpath("calendar-cn.yaml")


def _day(value: object) -> date:
    """A day as YAML gives it (an unquoted 2026-10-10 is a date; a quoted one a string)."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    assert isinstance(value, date) and not isinstance(value, datetime), value
    return value


def load_cn_calendar_data() -> dict[int, dict[str, list[date]]]:
    """{year: {"holidays": [...], "makeup_workdays": [...]}} exactly as listed in the file."""
    data = yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8"))
    return {
        int(year): {key: [_day(day) for day in days] for key, days in entry.items()}
        for year, entry in data.items()
    }


CN_CALENDAR_DATA = load_cn_calendar_data()
CAL = WorkCalendar.from_mapping(CN_CALENDAR_DATA)

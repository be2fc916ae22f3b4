"""Working-day calendar for the PRC public-holiday arrangements.

Pure standard library; no Django here.

Each year's arrangement (国务院办公厅关于部分节假日安排的通知) lists the days off
(every day of each holiday block, weekend days inside a block included) and the
weekend days that are working days (调休上班). For a year whose arrangement is not
known, the calendar falls back to "Monday to Friday are working days" and reports
results that depend on such a year as *provisional*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = [
    "CalendarError",
    "WorkCalendar",
    "YearArrangement",
    "parse_year_arrangement",
]

_SATURDAY = 5
_SUNDAY = 6
_ONE_DAY = timedelta(days=1)
# A safety net against a malformed calendar (e.g. a whole year of holidays):
# no real arrangement has a gap this long between two working days.
_MAX_DAYS_WITHOUT_WORK = 400
_MAPPING_KEYS = frozenset({"holidays", "makeup_workdays"})


class CalendarError(ValueError):
    """A holiday arrangement is invalid."""


def _is_weekend(day: date) -> bool:
    return day.weekday() in (_SATURDAY, _SUNDAY)


def _to_date(value: object, *, field: str) -> date:
    """Accept a ``date`` (but not a ``datetime``) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):
        raise CalendarError(f"{field}: {value!r} is a datetime, expected a date")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise CalendarError(
                f"{field}: {value!r} is not a valid date (expected YYYY-MM-DD)"
            ) from None
    raise CalendarError(f"{field}: {value!r} is not a date or an ISO date string")


@dataclass(frozen=True)
class YearArrangement:
    """The official holiday arrangement of one calendar year."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise CalendarError(f"year must be an integer, got {self.year!r}")
        # Tolerate plain sets/lists from callers; store frozensets so the value stays hashable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup_workdays", frozenset(self.makeup_workdays))
        for field, days in (("holidays", self.holidays), ("makeup_workdays", self.makeup_workdays)):
            for day in sorted(days, key=str):
                if isinstance(day, datetime) or not isinstance(day, date):
                    raise CalendarError(f"{field}: {day!r} is not a date")
                if day.year != self.year:
                    raise CalendarError(f"{field}: {day.isoformat()} is not in year {self.year}")
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            raise CalendarError(
                f"{both[0].isoformat()} is listed both as a holiday and as a make-up working day"
            )
        for day in sorted(self.makeup_workdays):
            if not _is_weekend(day):
                raise CalendarError(
                    f"makeup_workdays: {day.isoformat()} is a {day.strftime('%A')}; "
                    "make-up working days must fall on a Saturday or Sunday"
                )


def parse_year_arrangement(
    year: int,
    holidays: Iterable[date | str],
    makeup_workdays: Iterable[date | str],
) -> YearArrangement:
    """Build and validate a :class:`YearArrangement` from dates or ISO date strings.

    Raises :class:`CalendarError` (a ``ValueError``) naming the offending date.
    """
    if isinstance(holidays, str) or isinstance(makeup_workdays, str):
        raise CalendarError("holidays and makeup_workdays must be lists of dates, not a string")
    return YearArrangement(
        year=year,
        holidays=frozenset(_to_date(d, field="holidays") for d in holidays),
        makeup_workdays=frozenset(_to_date(d, field="makeup_workdays") for d in makeup_workdays),
    )


class WorkCalendar:
    """Decides which days are working days and counts working days."""

    def __init__(self, arrangements: Iterable[YearArrangement]) -> None:
        by_year: dict[int, YearArrangement] = {}
        for arrangement in arrangements:
            if arrangement.year in by_year:
                raise CalendarError(f"year {arrangement.year} is given more than once")
            by_year[arrangement.year] = arrangement
        self._by_year = by_year

    @classmethod
    def from_mapping(cls, data: Mapping[int, Mapping[str, Iterable[date | str]]]) -> WorkCalendar:
        """Build a calendar from ``{2025: {"holidays": [...], "makeup_workdays": [...]}}``.

        Either list may be omitted (treated as empty); any other key is an error.
        """
        arrangements: list[YearArrangement] = []
        for year, entry in data.items():
            unknown = set(entry) - _MAPPING_KEYS
            if unknown:
                raise CalendarError(
                    f"year {year}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                    "expected 'holidays' and 'makeup_workdays'"
                )
            arrangements.append(
                parse_year_arrangement(
                    year,
                    entry.get("holidays", ()),
                    entry.get("makeup_workdays", ()),
                )
            )
        return cls(arrangements)

    def __repr__(self) -> str:
        return f"WorkCalendar(years={sorted(self._by_year)})"

    @property
    def known_years(self) -> frozenset[int]:
        return frozenset(self._by_year)

    def knows_year(self, year: int) -> bool:
        return year in self._by_year

    def is_working_day(self, day: date) -> bool:
        """Known year: not a holiday, and Monday-Friday or a make-up day.

        Unknown year: Monday-Friday (weekends-only rule).
        """
        if isinstance(day, datetime):
            raise TypeError("is_working_day() expects a date, not a datetime")
        arrangement = self._by_year.get(day.year)
        if arrangement is None:
            return not _is_weekend(day)
        if day in arrangement.holidays:
            return False
        return not _is_weekend(day) or day in arrangement.makeup_workdays

    def add_working_days(self, start_day: date, n: int) -> tuple[date, bool]:
        """Return ``(the n-th working day after start_day, provisional)``.

        ``start_day`` itself is never counted. ``provisional`` is True when any day
        examined after ``start_day``, up to and including the result, lies in a year
        whose arrangement the calendar does not know.
        """
        if isinstance(start_day, datetime):
            raise TypeError("add_working_days() expects a date, not a datetime")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        day = start_day
        remaining = n
        provisional = False
        days_without_work = 0
        while remaining:
            try:
                day += _ONE_DAY
            except OverflowError:
                raise ValueError(
                    f"{n} working days after {start_day.isoformat()} is out of range"
                ) from None
            if not self.knows_year(day.year):
                provisional = True
            if self.is_working_day(day):
                remaining -= 1
                days_without_work = 0
            else:
                days_without_work += 1
                if days_without_work > _MAX_DAYS_WITHOUT_WORK:
                    raise CalendarError(
                        f"no working day in the {_MAX_DAYS_WITHOUT_WORK} days before "
                        f"{day.isoformat()}; the calendar is malformed"
                    )
        return day, provisional

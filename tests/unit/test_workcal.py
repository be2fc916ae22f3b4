"""Unit tests for liandong.sla.workcal (pure Python, no Django). The 2025/2026 arrangements are the
shipped calendar-cn.yaml (tests/unit/cn_calendar.py); the expected values are worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from liandong.sla.workcal import (
    CalendarError,
    WorkCalendar,
    YearArrangement,
    parse_year_arrangement,
)
from tests.unit.cn_calendar import CAL, CN_CALENDAR_DATA


def d(iso: str) -> date:
    return date.fromisoformat(iso)


# --------------------------------------------------------------------------- knows_year


@pytest.mark.parametrize(
    ("year", "known"),
    [(2024, False), (2025, True), (2026, True), (2027, False)],
    ids=["2024-unknown", "2025-known", "2026-known", "2027-unknown"],
)
def test_given_cn_calendar_when_asking_knows_year_then_only_2025_and_2026(
    year: int, known: bool
) -> None:
    assert CAL.knows_year(year) is known


# ----------------------------------------------------------------------- is_working_day

IS_WORKING_DAY_CASES = [
    # (id, day, expected)
    ("2025-new-year-wed-holiday", "2025-01-01", False),
    ("2025-spring-festival-first-day-tue", "2025-01-28", False),
    ("2025-spring-festival-sat-inside-block", "2025-02-01", False),
    ("2025-spring-festival-last-day-tue", "2025-02-04", False),
    ("2025-makeup-sun-01-26", "2025-01-26", True),
    ("2025-makeup-sat-02-08", "2025-02-08", True),
    ("2025-qingming-fri", "2025-04-04", False),
    ("2025-makeup-sun-04-27", "2025-04-27", True),
    ("2025-labour-day-mon-05-05", "2025-05-05", False),
    ("2025-dragon-boat-mon-06-02", "2025-06-02", False),
    ("2025-makeup-sun-09-28", "2025-09-28", True),
    ("2025-national-day-last-day-wed-10-08", "2025-10-08", False),
    ("2025-first-day-after-national-day-thu", "2025-10-09", True),
    ("2025-makeup-sat-10-11", "2025-10-11", True),
    ("2025-sun-after-makeup-sat-10-12", "2025-10-12", False),
    ("2025-ordinary-wed", "2025-03-12", True),
    ("2025-ordinary-sat", "2025-03-15", False),
    ("2026-new-year-sat-03", "2026-01-03", False),
    ("2026-makeup-sun-01-04", "2026-01-04", True),
    ("2026-makeup-sat-02-14", "2026-02-14", True),
    ("2026-spring-festival-sun-02-15", "2026-02-15", False),
    ("2026-spring-festival-mon-02-23", "2026-02-23", False),
    ("2026-makeup-sat-02-28", "2026-02-28", True),
    ("2026-sun-after-makeup-sat-03-01", "2026-03-01", False),
    ("2026-qingming-mon-04-06", "2026-04-06", False),
    ("2026-labour-day-tue-05-05", "2026-05-05", False),
    ("2026-makeup-sat-05-09", "2026-05-09", True),
    ("2026-dragon-boat-fri-06-19", "2026-06-19", False),
    ("2026-makeup-sun-09-20", "2026-09-20", True),
    ("2026-mid-autumn-fri-09-25", "2026-09-25", False),
    ("2026-national-day-wed-10-07", "2026-10-07", False),
    ("2026-makeup-sat-10-10", "2026-10-10", True),
    ("2026-ordinary-sat", "2026-03-14", False),
    ("2026-ordinary-sun", "2026-03-15", False),
    ("2026-ordinary-mon", "2026-03-16", True),
    ("2026-ordinary-fri", "2026-11-27", True),
    # Unknown years: weekends-only rule, whatever the real arrangement was / will be.
    ("2027-unknown-new-year-fri-is-working", "2027-01-01", True),
    ("2027-unknown-sat", "2027-01-02", False),
    ("2024-unknown-national-day-tue-is-working", "2024-10-01", True),
    ("2024-unknown-real-makeup-sun-is-off", "2024-09-29", False),
    ("2024-unknown-ordinary-sun", "2024-12-29", False),
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [(day, expected) for _, day, expected in IS_WORKING_DAY_CASES],
    ids=[case_id for case_id, _, _ in IS_WORKING_DAY_CASES],
)
def test_given_cn_calendar_when_checking_day_then_working_day_status_matches(
    day: str, expected: bool
) -> None:
    assert CAL.is_working_day(d(day)) is expected


def test_given_datetime_when_checking_working_day_then_type_error() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 3, 16, 9, 0))


# --------------------------------------------------------------------- add_working_days

ADD_WORKING_DAYS_CASES = [
    # (id, start_day, n, expected_day, expected_provisional)
    ("ordinary-fri-plus-1-skips-weekend", "2026-03-13", 1, "2026-03-16", False),
    ("ordinary-mon-plus-3", "2026-03-09", 3, "2026-03-12", False),
    ("2025-before-spring-festival-plus-1", "2025-01-27", 1, "2025-02-05", False),
    ("2025-fri-plus-1-is-makeup-sun", "2025-01-24", 1, "2025-01-26", False),
    ("2025-fri-plus-3-crosses-spring-festival", "2025-01-24", 3, "2025-02-05", False),
    ("2025-spring-festival-plus-4-is-makeup-sat", "2025-02-04", 4, "2025-02-08", False),
    ("2025-before-national-day-plus-1", "2025-09-30", 1, "2025-10-09", False),
    ("2025-before-national-day-plus-3-is-makeup-sat", "2025-09-30", 3, "2025-10-11", False),
    ("2025-before-labour-day-plus-1", "2025-04-30", 1, "2025-05-06", False),
    ("2026-fri-plus-1-is-makeup-sat", "2026-02-13", 1, "2026-02-14", False),
    ("2026-fri-plus-2-crosses-spring-festival", "2026-02-13", 2, "2026-02-24", False),
    ("2026-fri-plus-10-two-makeup-sats", "2026-02-13", 10, "2026-03-05", False),
    ("2026-start-on-holiday-not-counted", "2026-10-03", 1, "2026-10-08", False),
    ("2026-start-on-makeup-day-not-counted", "2026-10-10", 1, "2026-10-12", False),
    ("2026-before-national-day-plus-3", "2026-09-30", 3, "2026-10-10", False),
    ("2025-new-years-eve-plus-1-is-makeup-sun-2026", "2025-12-31", 1, "2026-01-04", False),
    ("2025-into-2026-plus-5", "2025-12-25", 5, "2026-01-04", False),
    ("2026-ends-on-dec-31-known", "2026-12-30", 1, "2026-12-31", False),
    ("2026-into-2027-unknown-provisional", "2026-12-31", 1, "2027-01-01", True),
    ("2026-into-2027-skips-weekend-provisional", "2026-12-31", 2, "2027-01-04", True),
    ("2024-start-day-unknown-but-not-examined", "2024-12-31", 1, "2025-01-02", False),
    ("2024-all-days-unknown-provisional", "2024-12-27", 2, "2024-12-31", True),
    ("2024-into-2025-provisional", "2024-12-30", 3, "2025-01-03", True),
]


@pytest.mark.parametrize(
    ("start_day", "n", "expected_day", "expected_provisional"),
    [case[1:] for case in ADD_WORKING_DAYS_CASES],
    ids=[case[0] for case in ADD_WORKING_DAYS_CASES],
)
def test_given_start_day_when_adding_working_days_then_nth_working_day_after_it(
    start_day: str, n: int, expected_day: str, expected_provisional: bool
) -> None:
    result, provisional = CAL.add_working_days(d(start_day), n)
    assert result == d(expected_day)
    assert provisional is expected_provisional


@pytest.mark.parametrize("n", [0, -1, -30], ids=["zero", "minus-one", "minus-thirty"])
def test_given_non_positive_n_when_adding_working_days_then_value_error(n: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        CAL.add_working_days(d("2026-03-09"), n)


def test_given_empty_calendar_when_adding_working_days_then_weekends_only_and_provisional() -> None:
    empty = WorkCalendar([])
    assert empty.add_working_days(d("2026-09-30"), 1) == (d("2026-10-01"), True)


# ----------------------------------------------------------------------- construction


def test_given_dates_or_strings_when_building_from_mapping_then_same_calendar() -> None:
    from_strings = WorkCalendar.from_mapping(
        {2026: {"holidays": ["2026-10-01"], "makeup_workdays": ["2026-10-10"]}}
    )
    from_dates = WorkCalendar.from_mapping(
        {2026: {"holidays": [d("2026-10-01")], "makeup_workdays": [d("2026-10-10")]}}
    )
    for cal in (from_strings, from_dates):
        assert cal.is_working_day(d("2026-10-01")) is False
        assert cal.is_working_day(d("2026-10-10")) is True
        assert cal.knows_year(2026)


def test_given_missing_makeup_list_when_building_from_mapping_then_treated_as_empty() -> None:
    cal = WorkCalendar.from_mapping({2026: {"holidays": ["2026-10-01"]}})
    assert cal.is_working_day(d("2026-10-10")) is False  # Saturday, no make-up listed


def test_given_valid_input_when_parsing_year_arrangement_then_frozen_sets_of_dates() -> None:
    arrangement = parse_year_arrangement(2025, ["2025-10-01", d("2025-10-02")], ["2025-10-11"])
    assert arrangement == YearArrangement(
        year=2025,
        holidays=frozenset({d("2025-10-01"), d("2025-10-02")}),
        makeup_workdays=frozenset({d("2025-10-11")}),
    )


VALIDATION_ERROR_CASES = [
    # (id, year, holidays, makeup_workdays, message fragment)
    ("holiday-in-other-year", 2025, ["2026-01-01"], [], "2026-01-01"),
    ("makeup-in-other-year", 2026, [], ["2025-10-11"], "2025-10-11"),
    ("both-holiday-and-makeup", 2025, ["2025-02-08"], ["2025-02-08"], "2025-02-08"),
    ("makeup-on-friday", 2025, [], ["2025-02-07"], "2025-02-07"),
    ("makeup-on-monday", 2026, [], ["2026-03-16"], "2026-03-16"),
    ("bad-month", 2025, ["2025-13-01"], [], "2025-13-01"),
    ("not-a-date", 2025, [], ["not-a-date"], "not-a-date"),
    ("datetime-instead-of-date", 2025, [datetime(2025, 10, 1, 8, 0)], [], "datetime"),
]


@pytest.mark.parametrize(
    ("year", "holidays", "makeup", "fragment"),
    [case[1:] for case in VALIDATION_ERROR_CASES],
    ids=[case[0] for case in VALIDATION_ERROR_CASES],
)
def test_given_invalid_arrangement_when_parsing_then_calendar_error_names_the_date(
    year: int, holidays: list[date | str], makeup: list[date | str], fragment: str
) -> None:
    with pytest.raises(CalendarError, match=fragment):
        parse_year_arrangement(year, holidays, makeup)


def test_given_invalid_dates_when_constructing_year_arrangement_directly_then_error() -> None:
    with pytest.raises(CalendarError, match="2025-02-07"):
        YearArrangement(
            year=2025, holidays=frozenset(), makeup_workdays=frozenset({d("2025-02-07")})
        )


def test_given_calendar_error_then_it_is_a_value_error() -> None:
    assert issubclass(CalendarError, ValueError)


def test_given_unknown_key_when_building_from_mapping_then_calendar_error() -> None:
    with pytest.raises(CalendarError, match="holiday"):
        WorkCalendar.from_mapping({2026: {"holiday": ["2026-10-01"]}})


def test_given_same_year_twice_when_building_calendar_then_calendar_error() -> None:
    arrangement = parse_year_arrangement(2026, ["2026-10-01"], [])
    with pytest.raises(CalendarError, match="2026"):
        WorkCalendar([arrangement, arrangement])


def test_given_real_data_when_building_then_every_makeup_day_is_a_weekend_working_day() -> None:
    # Sanity check on the shipped data: every make-up day is a Sat/Sun and a working day;
    # every listed holiday is a day off.
    for entry in CN_CALENDAR_DATA.values():
        for day in entry["makeup_workdays"]:
            assert day.weekday() >= 5
            assert CAL.is_working_day(day)
        for day in entry["holidays"]:
            assert not CAL.is_working_day(day)

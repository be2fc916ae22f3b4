"""A period of whole Beijing days, from text (the API, the screen, the command)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from liandong import clock
from liandong.common.errors import FieldError, InvalidInput
from liandong.stats.definitions import GROUPINGS


def parse_period(
    start: str | None, end: str | None, by: str | None
) -> tuple[datetime, datetime, str]:
    """[00:00 of `start`, 24:00 of `end`) in Beijing time, and the grouping; 422 on bad input.
    Without dates: the current month so far."""
    today = clock.to_beijing(clock.now()).date()
    errors: list[FieldError] = []
    first = last = None
    try:
        first = date.fromisoformat(start) if start else today.replace(day=1)
    except ValueError:
        errors.append(FieldError("from", "invalid_date", "开始日期格式应为 2026-11-01"))
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        errors.append(FieldError("to", "invalid_date", "结束日期格式应为 2026-11-30"))
    grouping = by or "unit"
    if grouping not in GROUPINGS:
        errors.append(
            FieldError("by", "invalid_choice", "分组应为：" + "、".join(GROUPINGS.values()))
        )
    if first and last and last < first:
        errors.append(FieldError("to", "before_start", "结束日期不能早于开始日期"))
    if errors:
        raise InvalidInput(errors)
    assert first is not None and last is not None
    begin = datetime.combine(first, time(), tzinfo=clock.BEIJING)
    finish = datetime.combine(last + timedelta(days=1), time(), tzinfo=clock.BEIJING)
    return begin, finish, grouping

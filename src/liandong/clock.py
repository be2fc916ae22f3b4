"""The one source of the current time. Everything asks `clock.now()`; tests move time with
`clock.frozen(...)` / `clock.advance(...)` instead of patching datetime."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_global_override: list[datetime] = []


def now() -> datetime:
    """The current time, timezone-aware, in Beijing time."""
    if _global_override:
        return _global_override[-1]
    return datetime.now(tz=BEIJING)


def to_beijing(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in Liandong must carry its offset")
    return moment.astimezone(BEIJING)


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in Beijing time with its offset (the form every API and event uses)."""
    return to_beijing(moment).isoformat() if moment else None


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Freeze the clock (for every thread) at `moment` for the duration of the block."""
    _global_override.append(to_beijing(moment))
    try:
        yield
    finally:
        _global_override.pop()


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward."""
    if not _global_override:
        raise RuntimeError("clock.advance() needs a frozen clock")
    _global_override[-1] = _global_override[-1] + delta


__all__ = ["BEIJING", "advance", "frozen", "iso", "now", "to_beijing"]

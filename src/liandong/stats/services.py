"""The statistics as callers read them: the facts refreshed, then computed (selectors.compute)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liandong.stats.facts import do_refresh_facts
from liandong.stats.selectors import compute


def statistics(
    *, start: datetime, end: datetime, by: str, now: datetime | None = None
) -> dict[str, Any]:
    """The figures of instructions dispatched in [start, end) grouped `by`, from facts brought up
    to date first (whatever the worker has not yet refreshed)."""
    do_refresh_facts()
    return compute(start=start, end=end, by=by, now=now)

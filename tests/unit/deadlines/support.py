"""Shared by the deadline tests: Beijing-time checks and the two roles."""

from __future__ import annotations

from datetime import datetime, timedelta

BEIJING_OFFSET = timedelta(hours=8)


def dt(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def assert_beijing(actual: datetime, expected_iso: str) -> None:
    """Same instant, and expressed in Asia/Shanghai (+08:00)."""
    assert actual == dt(expected_iso), f"{actual.isoformat()} != {expected_iso}"
    assert str(actual.tzinfo) == "Asia/Shanghai"
    assert actual.utcoffset() == BEIJING_OFFSET
    assert actual.isoformat() == dt(expected_iso).isoformat()


P, C = "primary", "cooperating"

"""The login lock-out rule, pure: five failures within fifteen minutes, no success after them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liandong.accounts.login import MAX_FAILURES, WINDOW, lockout_until

NOW = datetime.fromisoformat("2026-11-30T09:00:00+08:00")


def ago(minutes: float, ok: bool = False) -> tuple[datetime, bool]:
    return NOW - timedelta(minutes=minutes), ok


@pytest.mark.parametrize(
    ("attempts", "until"),
    [
        ([], None),
        ([ago(1)] * (MAX_FAILURES - 1), None),
        ([ago(1)] * MAX_FAILURES, NOW - timedelta(minutes=1) + WINDOW),
        ([ago(1), ago(2), ago(3), ago(4), ago(16)], None),  # the fifth is outside the window
        ([ago(1), ago(2), ago(3, ok=True), ago(4), ago(5)], None),  # a success resets
        ([ago(14), ago(14.5), ago(14.6), ago(14.7), ago(14.8)], NOW + timedelta(minutes=1)),
        ([ago(15.5)] * MAX_FAILURES, None),  # all too old
    ],
)
def test_lockout(attempts, until):
    assert lockout_until(attempts, NOW) == until

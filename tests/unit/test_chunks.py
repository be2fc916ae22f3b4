"""The worker's chunked steps (common/chunks.py): when they stop."""

from __future__ import annotations

import pytest

from liandong.common import chunks


def _queue(items: int) -> tuple[list[int], object]:
    asked: list[int] = []
    left = [items]

    def chunk(n: int) -> int:
        asked.append(n)
        done = min(n, left[0])
        left[0] -= done
        return done

    return asked, chunk


@pytest.mark.parametrize(
    ("items", "limit", "handled", "asked"),
    [
        (0, None, 0, [10]),  # empty: one look
        (25, None, 25, [10, 10, 10]),  # stops at the short chunk, no extra empty look
        (30, None, 30, [10, 10, 10, 10]),  # a full last chunk: one more look finds nothing
        (25, 15, 15, [10, 5]),  # the limit trims the last chunk
        (5, 15, 5, [10]),
    ],
)
def test_chunks_run_until_short_or_limit(items, limit, handled, asked) -> None:
    seen, chunk = _queue(items)
    assert chunks.in_chunks(chunk, size=10, limit=limit) == handled
    assert seen == asked


def test_chunks_stop_when_the_budget_is_spent(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr(chunks.time, "monotonic", lambda: now[0])
    seen, inner = _queue(1000)

    def slow(n: int) -> int:
        now[0] += 0.4
        return inner(n)

    assert chunks.in_chunks(slow, size=10, budget_seconds=1.0) == 30  # 0.0, 0.4, 0.8; not 1.2
    assert seen == [10, 10, 10]

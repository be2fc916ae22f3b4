"""Queue work in chunks: the worker's steps that claim rows and handle them, one transaction per
chunk, until the queue is empty, a limit is reached or their share of the round is spent."""

from __future__ import annotations

import time
from collections.abc import Callable


def in_chunks(
    chunk: Callable[[int], int],
    *,
    size: int,
    limit: int | None = None,
    budget_seconds: float | None = None,
) -> int:
    """Call `chunk(n)` (claim and handle at most n items in a transaction of its own; return how
    many it handled) until it handles fewer than asked, `limit` items are done, or
    `budget_seconds` have gone; the number handled."""
    handled = 0
    started = time.monotonic()
    while limit is None or handled < limit:
        if budget_seconds is not None and time.monotonic() - started >= budget_seconds:
            break
        asked = size if limit is None else min(size, limit - handled)
        done = chunk(asked)
        handled += done
        if done < asked:
            break
    return handled

"""A value read from the database and kept by this process for a while: reference data every
request needs and an administrator changes a few times a year (the office's unit, the calendar and
time limits, the outside-sending templates). A write in this process forgets it at once (connect
`forget` to the model's post_save/post_delete); other processes see the change within `seconds`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    def __init__(self, read: Callable[[], T], *, seconds: float) -> None:
        self.read = read
        self.seconds = seconds
        self._held: tuple[float, T] | None = None

    def get(self) -> T:
        now = time.monotonic()
        held = self._held
        if held is None or now - held[0] >= self.seconds:
            held = self._held = (now, self.read())
        return held[1]

    def forget(self, **_: object) -> None:
        """Read again next time (a signal receiver, hence **_)."""
        self._held = None

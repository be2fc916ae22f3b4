"""A value read from the database and kept by this process for a while: reference data every
request needs and an administrator changes a few times a year (the office's unit, the units and the
catalogue, the calendar and time limits, the outside-sending templates). A write in this process
forgets it at once and again when its transaction commits (connect `forget` to the model's
post_save/post_delete, or call `forget_on_writes`), so a reader in this process between the write
and its commit cannot keep the old value; other processes see the change within `seconds`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

#: every kept value of the process, so tests can start each one afresh (forget_everything)
_every: list[Kept[Any]] = []


class Kept(Generic[T]):
    def __init__(self, read: Callable[[], T], *, seconds: float) -> None:
        self.read = read
        self.seconds = seconds
        self._held: tuple[float, T] | None = None
        _every.append(self)

    def get(self) -> T:
        now = time.monotonic()
        held = self._held
        if held is None or now - held[0] >= self.seconds:
            held = self._held = (now, self.read())
        return held[1]

    def forget(self, **_: object) -> None:
        """Read again next time, and again after the current transaction commits (a signal
        receiver, hence **_)."""
        self._held = None
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self._drop)

    def _drop(self) -> None:
        self._held = None

    def forget_on_writes(self, *models: type[Any], through: tuple[type[Any], ...] = ()) -> None:
        """Forget whenever a row of these models is saved or deleted (and a many-to-many link
        through `through` changes)."""
        for model in models:
            uid = f"kept-{id(self)}-{model._meta.label}"
            post_save.connect(self.forget, sender=model, dispatch_uid=f"{uid}-saved", weak=False)
            post_delete.connect(
                self.forget, sender=model, dispatch_uid=f"{uid}-deleted", weak=False
            )
        for link in through:
            m2m_changed.connect(
                self.forget, sender=link, dispatch_uid=f"kept-{id(self)}-{link}", weak=False
            )


def forget_everything() -> None:
    """Forget every kept value of this process (tests: a rolled-back test's rows must not stay)."""
    for kept in _every:
        kept._drop()

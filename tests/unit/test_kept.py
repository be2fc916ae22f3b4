"""The process's kept copies of reference data (common/kept.py)."""

from __future__ import annotations

from liandong.common.kept import Kept


def test_a_kept_value_is_read_once_until_forgotten() -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    kept = Kept(read, seconds=3600)
    assert kept.get() == 1 and kept.get() == 1 and len(reads) == 1
    kept.forget(sender=None)  # as a signal receiver
    assert kept.get() == 2


def test_a_kept_value_is_read_again_after_its_time() -> None:
    reads: list[int] = []
    kept = Kept(lambda: reads.append(1) or len(reads), seconds=0)
    assert kept.get() == 1 and kept.get() == 2

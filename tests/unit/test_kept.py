"""The process's kept copies of reference data (common/kept.py)."""

from __future__ import annotations

import pytest
from django.db import transaction

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


@pytest.mark.django_db(transaction=True)
def test_a_write_forgets_again_when_its_transaction_commits() -> None:
    """A reader between the write and its commit must not keep the old value."""
    reads: list[int] = []
    kept = Kept(lambda: reads.append(1) or len(reads), seconds=3600)
    assert kept.get() == 1
    with transaction.atomic():
        kept.forget()
        assert kept.get() == 2  # read inside the transaction (as another request could)
    assert kept.get() == 3  # the commit forgot that read

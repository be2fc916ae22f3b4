"""The tests in this folder race real PostgreSQL connections (row locks, advisory locks,
LISTEN/NOTIFY): on SQLite they are skipped, with the setting that runs them."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set LIANDONG_DATABASE_URL=postgresql://…")

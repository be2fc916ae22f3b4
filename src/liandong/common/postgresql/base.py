"""Django's PostgreSQL backend with one change: `timestamptz` columns are read by psycopg's own
loader, compiled in C, instead of Django's, which subclasses psycopg's pure-Python loader to set
the time zone (about 7 µs a value on the reference machine against under 1; a calendar
recompute reads seven moments per deadline, a console poll hundreds). ADR 30.

Both give the same value. Django keeps every session in UTC (its `TIME_ZONE` for the database is
unset), so PostgreSQL writes each moment with the offset +00, which psycopg's loader reads as
`datetime.timezone.utc`, the very object Django's sets. Where that does not hold (a database
`TIME_ZONE` set, `USE_TZ` off) or the C loader is not installed, the cursor is Django's as is."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import Format

_TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
#: psycopg's registered text loader: the C one when psycopg's binary or C package is installed.
_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)
C_LOADER: type[Any] | None = None if _LOADER.__module__.startswith("psycopg.") else _LOADER


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        cursor = super().create_cursor(name)
        if C_LOADER is not None and self.timezone is UTC:
            cursor.adapters.register_loader(_TIMESTAMPTZ, C_LOADER)
        return cursor

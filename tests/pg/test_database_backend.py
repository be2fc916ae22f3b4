"""The PostgreSQL backend (ADR 30): moments are read by psycopg's C loader, and give exactly
what Django's own loader gives, down to the time zone object."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from liandong.common.postgresql.base import C_LOADER
from tests.factories import dispatched

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid

MOMENTS = """SELECT '2026-12-01 08:00:00+08'::timestamptz, '2026-12-01 08:00:00.123456+00'::timestamptz,
    '0001-01-01 00:00:00+00'::timestamptz, '9999-12-31 23:59:59.999999+00'::timestamptz,
    now(), NULL::timestamptz"""


def test_the_installed_engine_reads_moments_with_psycopgs_c_loader():
    assert C_LOADER is not None, "psycopg-binary is a dependency: its C loader must be there"
    assert connection.settings_dict["ENGINE"] == "liandong.common.postgresql"
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is C_LOADER


def test_the_values_are_the_very_ones_djangos_own_loader_gives():
    with connection.cursor() as ours:
        ours.execute(MOMENTS)
        fast = ours.fetchone()
    with connection.cursor() as theirs:
        register_tzloader(UTC, theirs.cursor)  # what Django's backend registers
        theirs.execute(MOMENTS)
        django = theirs.fetchone()
    assert fast == django
    assert fast[0] == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert all(value.tzinfo is UTC for value in fast if value is not None)
    assert fast[-1] is None


def test_the_orm_reads_aware_moments_in_utc():
    incident = dispatched()
    deadline = incident.instructions.first().deadlines.first()
    assert deadline.due_at.tzinfo is UTC and deadline.starts_at.tzinfo is UTC
    assert incident.received_at.tzinfo is UTC

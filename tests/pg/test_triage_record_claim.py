"""The triage record's queue row on PostgreSQL with real connections (ADR 23): a row another worker
holds is skipped, not waited for; when that worker dies before its commit the row is written by the
next round, once."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from liandong.triage.models import PendingTriageRecord, TriageRecord
from liandong.worker.loop import write_triage_records
from tests.factories import dispatched

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _other_connection() -> psycopg.Connection:
    params = dict(connection.get_connection_params())
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    return psycopg.connect(**params, autocommit=True)


def _kill(other: psycopg.Connection) -> None:
    pid = other.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    other.close()


def test_a_row_claimed_by_a_worker_that_dies_is_written_by_the_next_round() -> None:
    first, second = dispatched(), dispatched()
    held = PendingTriageRecord.objects.get(incident_pk=first.pk)
    other = _other_connection()
    other.execute("BEGIN")
    # another worker's claim, then it is killed before its commit
    other.execute("SELECT id FROM triage_pendingtriagerecord WHERE id = %s FOR UPDATE", [held.pk])
    assert write_triage_records() == 1  # the free row; the held one is skipped, not waited for
    assert list(TriageRecord.objects.values_list("incident_id", flat=True)) == [second.pk]
    _kill(other)  # the worker dies: its transaction and its row lock go with it
    assert write_triage_records() == 1
    assert PendingTriageRecord.objects.count() == 0
    assert sorted(TriageRecord.objects.values_list("incident_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert write_triage_records() == 0

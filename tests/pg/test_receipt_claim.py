"""A city receipt on PostgreSQL with real connections (ADR 26): an incident another worker holds is
skipped, not waited for; when that worker dies before its commit the receipt is recorded by the
next round, once."""

from __future__ import annotations

import pytest

from liandong.incidents.events import EventKind
from liandong.incidents.models import Event, Incident
from liandong.worker.loop import record_city_receipts
from tests.factories import new_incident
from tests.pg.test_triage_record_claim import _kill, _other_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PENDING = {"method": "city", "token_prefix": "shenyang-cit", "ip": "10.1.2.3", "request_id": "r1"}


def _pending() -> Incident:
    """An incident whose receipt is still to be recorded, as the city intake leaves it."""
    incident = new_incident()
    Incident.objects.filter(pk=incident.pk).update(receipt_pending=PENDING)
    return incident


def test_a_receipt_held_by_a_worker_that_dies_is_recorded_by_the_next_round() -> None:
    first, second = _pending(), _pending()
    other = _other_connection()
    other.execute("BEGIN")
    # another worker's claim, then it is killed before its commit
    other.execute("SELECT id FROM incidents_incident WHERE id = %s FOR UPDATE", [first.pk])
    assert record_city_receipts() == 1  # the free one; the held one is skipped, not waited for
    received = Event.objects.filter(kind=EventKind.RECEIVED)
    assert list(received.values_list("incident_id", flat=True)) == [second.pk]
    _kill(other)  # the worker dies: its transaction and its row lock go with it
    assert record_city_receipts() == 1
    assert sorted(received.values_list("incident_id", flat=True)) == sorted([first.pk, second.pk])
    assert not Incident.objects.filter(receipt_pending__isnull=False).exists()
    assert record_city_receipts() == 0

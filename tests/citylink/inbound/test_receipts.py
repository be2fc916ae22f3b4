"""A city hand-over's receipt (ADR 26): the request writes the incident alone; the worker's round
records its `received` event, the event's audit entry (in the city request's name) and the office's
notification, once; an action on the incident before the worker records it first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liandong import clock
from liandong.audit.models import AuditEntry
from liandong.incidents.actions import do_claim_incident, do_supplement_incident, kernel
from liandong.incidents.events import EventKind
from liandong.incidents.models import Event, Incident, Notification
from liandong.worker.loop import run_once
from tests.citylink.conftest import City, incident_payload
from tests.factories import office_user

pytestmark = pytest.mark.django_db


def _received(city: City, **headers: str) -> Incident:
    payload = incident_payload()
    assert city.post_incident(payload, headers=headers).status_code == 201
    return Incident.objects.get(incident_id=payload["incident_id"])


def test_the_worker_records_the_receipt_in_the_request_s_name_once(city: City, frozen_at) -> None:
    frozen_at("2026-12-01T09:00:00+08:00")
    incident = _received(city, **{"X-Request-Id": "city-req-42"})
    assert incident.receipt_pending is not None
    assert not Event.objects.exists() and not Notification.objects.exists()

    clock.advance(timedelta(seconds=2))  # the worker's round comes a moment later
    run_once()
    incident.refresh_from_db()
    assert incident.receipt_pending is None
    event = Event.objects.get(incident=incident)
    assert (event.kind, event.actor_id, event.actor_label) == ("received", None, "市安管平台")
    assert event.occurred_at == incident.accepted_at  # dated when accepted, not when recorded
    assert event.summary == f"收到市平台警情：{incident.address}"
    assert event.after == {"status": incident.status}
    entry = AuditEntry.objects.get(event_id=event.pk)
    assert (entry.auth_method, entry.token_prefix) == ("city", city.peer.peer_id[:12])
    assert (entry.request_id, entry.at) == ("city-req-42", incident.accepted_at)
    note = Notification.objects.get(incident=incident)
    assert (note.unit_id, note.kind) == (kernel.office_unit().pk, "new_incident")
    assert note.text == f"新警情待研判：{incident.address}"

    run_once()  # recorded once
    assert Event.objects.filter(incident=incident).count() == 1
    assert Notification.objects.filter(incident=incident).count() == 1
    assert AuditEntry.objects.filter(event_id=event.pk).count() == 1


def test_an_action_before_the_worker_records_the_receipt_first(city: City) -> None:
    incident = _received(city)
    do_claim_incident(actor=office_user(), incident=incident)
    kinds = list(
        Event.objects.filter(incident=incident).order_by("id").values_list("kind", flat=True)
    )
    assert kinds[0] == EventKind.RECEIVED and len(kinds) == len(set(kinds))
    assert Incident.objects.get(pk=incident.pk).receipt_pending is None
    assert Notification.objects.filter(incident=incident, kind="new_incident").count() == 1
    run_once()
    assert Event.objects.filter(incident=incident, kind=EventKind.RECEIVED).count() == 1


def test_a_supplement_from_the_city_before_the_worker_comes_after_the_receipt(city: City) -> None:
    incident = _received(city)
    do_supplement_incident(incident=incident, text="报警人补充：楼下也有积水")
    kinds = list(
        Event.objects.filter(incident=incident).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [EventKind.RECEIVED, EventKind.SUPPLEMENTED]


def test_a_batch_of_receipts_costs_a_handful_of_statements_not_some_per_receipt(
    city: City, django_assert_max_num_queries
) -> None:
    for _ in range(2):
        _received(city)
    run_once()  # the caches warm
    for _ in range(30):
        _received(city)
    from liandong.incidents.actions.receipts import do_record_receipts

    with django_assert_max_num_queries(8):
        assert do_record_receipts() == 30
    assert Event.objects.filter(kind=EventKind.RECEIVED).count() == 32
    assert AuditEntry.objects.filter(auth_method="city").count() == 32

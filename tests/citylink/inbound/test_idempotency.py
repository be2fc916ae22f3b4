"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says:
idempotency (the same incident sent again).

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from liandong import clock
from liandong.incidents.actions.receipts import do_record_receipts
from liandong.incidents.models import Event, Incident
from tests.citylink.conftest import incident_payload
from tests.citylink.inbound.support import assert_error, dispatch, raw_request, snapshot
from tests.factories import new_incident

# =================================================================================================
# Idempotency
# =================================================================================================


def test_given_a_new_incident_then_201_with_id_status_and_beijing_accepted_at(city, frozen_at):
    frozen_at("2026-11-30T09:15:00+08:00")
    payload = incident_payload()
    response = city.post_incident(payload)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"incident_id", "status", "accepted_at"}
    assert body["incident_id"] == payload["incident_id"]
    assert body["status"] == "accepted"
    assert body["accepted_at"].endswith("+08:00")
    assert datetime.fromisoformat(body["accepted_at"]) == clock.now()
    # 201 only once it is stored
    assert Incident.objects.filter(incident_id=payload["incident_id"], source="city").exists()


def test_given_the_same_body_again_then_200_with_the_same_body_and_one_incident(city, frozen_at):
    frozen_at("2026-11-30T09:15:00+08:00")
    payload = incident_payload()
    first = city.post_incident(payload)
    clock.advance(timedelta(seconds=40))  # the city retries after a timeout
    again = city.post_incident(payload)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Incident.objects.filter(incident_id=payload["incident_id"]).count() == 1
    do_record_receipts()  # the receipt's event (ADR 26): one, not one per copy
    assert Event.objects.filter(incident__incident_id=payload["incident_id"]).count() == 1


def test_given_the_same_content_with_other_key_order_and_spacing_then_200(city):
    payload = incident_payload()
    assert city.post_incident(payload).status_code == 201
    reordered = dict(reversed(list(payload.items())))
    raw = json.dumps(reordered, indent=2).encode()
    assert raw_request(city, raw).status_code == 200
    assert Incident.objects.filter(incident_id=payload["incident_id"]).count() == 1


def test_given_a_retry_after_the_incident_was_dispatched_then_still_200(city):
    payload = incident_payload()
    first = city.post_incident(payload)
    dispatch(Incident.objects.get(incident_id=payload["incident_id"]))
    again = city.post_incident(payload)
    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.parametrize(
    "change",
    [
        {"content": "另一件事：路灯不亮。"},
        {"police_dispatched": True},
        {"caller_phone": "13900000000"},
    ],
)
def test_given_a_known_id_with_different_content_then_409_conflict_and_stored_unchanged(
    city, change
):
    payload = incident_payload()
    assert city.post_incident(payload).status_code == 201
    stored = Incident.objects.get(incident_id=payload["incident_id"])
    before = snapshot()
    response = city.post_incident({**payload, **change})
    assert_error(response, 409, "conflict")
    after = Incident.objects.get(incident_id=payload["incident_id"])
    assert (after.content, after.caller_phone, after.police_dispatched, after.raw_body) == (
        stored.content,
        stored.caller_phone,
        stored.police_dispatched,
        stored.raw_body,
    )
    assert after.raw_request == payload
    assert snapshot() == before


def test_given_an_id_used_by_a_manually_entered_incident_then_409_conflict(city):
    manual = new_incident()
    before = snapshot()
    response = city.post_incident(incident_payload(incident_id=manual.incident_id))
    assert_error(response, 409, "conflict")
    manual.refresh_from_db()
    assert manual.source == "manual"
    assert snapshot() == before

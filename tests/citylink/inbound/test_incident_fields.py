"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says:
the field rules of POST /incidents.

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from liandong.incidents.models import Incident
from tests.citylink.conftest import incident_payload
from tests.citylink.inbound.support import assert_error, error_fields, raw_request, snapshot
from tests.citylink.test_contract import INCIDENT_VIOLATIONS, NOW
from tests.citylink.test_contract import incident as contract_incident

# =================================================================================================
# Field rules of POST /incidents
# =================================================================================================


@pytest.mark.parametrize(("field", "overrides"), INCIDENT_VIOLATIONS)
def test_given_one_rule_broken_when_posting_an_incident_then_422_naming_that_field_only(
    city, frozen_at, field, overrides
):
    frozen_at(NOW)
    before = snapshot()
    response = city.post_incident(contract_incident(**overrides))
    error = assert_error(response, 422, "invalid")
    assert [f["field"] for f in error["fields"]] == [field]
    assert snapshot() == before


def test_given_several_bad_fields_when_posting_then_each_is_listed(city, frozen_at):
    frozen_at(NOW)
    body = contract_incident(
        incident_id="SY 1",
        received_at="2026-11-30T09:00:00",
        caller_phone="12",
        address="",
        longitude=200,
        police_dispatched="no",
        coordinate_system="utm",
        repeat_calls=-1,
    )
    before = snapshot()
    response = city.post_incident(body)
    assert_error(response, 422, "invalid")
    assert sorted(error_fields(response)) == sorted(
        [
            "incident_id",
            "received_at",
            "caller_phone",
            "address",
            "longitude",
            "police_dispatched",
            "coordinate_system",
            "repeat_calls",
        ]
    )
    assert snapshot() == before


def test_given_unknown_extra_fields_when_posting_then_accepted_and_kept_with_the_raw_request(city):
    payload = incident_payload(city_case_no="110-2026-88", sub={"x": [1, "二"]}, flag=None)
    response = city.post_incident(payload)
    assert response.status_code == 201
    stored = Incident.objects.get(incident_id=payload["incident_id"])
    assert stored.raw_request["city_case_no"] == "110-2026-88"
    assert stored.raw_request["sub"] == {"x": [1, "二"]}
    assert "flag" in stored.raw_request
    assert stored.raw_request == payload


def test_given_a_body_with_odd_spacing_and_unicode_then_raw_body_is_the_exact_bytes(city):
    payload = incident_payload()
    raw = (
        b'{ "incident_id" :"'
        + payload["incident_id"].encode()
        + b'",\n\t"received_at": "'
        + payload["received_at"].encode()
        + b'", "transferred_at":"'
        + payload["transferred_at"].encode()
        + b'",  "caller_phone": "138 4001 2345", "address": "\\u4e8e\\u6d2a\xe5\x8c\xba",'
        + b' "content": "\xe6\xbc\x8f\xe6\xb0\xb4 \\n \\"quoted\\"", "police_dispatched": true,'
        + b' "repeat_calls": 2 , "zzz": 1e2 }\n'
    )
    response = raw_request(city, raw)
    assert response.status_code == 201, response.content
    stored = Incident.objects.get(incident_id=payload["incident_id"])
    assert stored.raw_body.encode("utf-8") == raw
    assert stored.address == "于洪区"
    assert stored.content == '漏水 \n "quoted"'


def test_given_a_valid_incident_then_its_fields_are_stored_as_sent(city):
    payload = incident_payload(coordinate_system="wgs84", urgency="urgent", repeat_calls=3)
    assert city.post_incident(payload).status_code == 201
    stored = Incident.objects.get(incident_id=payload["incident_id"])
    assert stored.source == "city"
    assert stored.status == "new"
    assert stored.received_at == datetime.fromisoformat(payload["received_at"])
    assert stored.transferred_at == datetime.fromisoformat(payload["transferred_at"])
    assert stored.caller_name == payload["caller_name"]
    assert stored.caller_phone == payload["caller_phone"]
    assert stored.address == payload["address"]
    assert float(stored.longitude) == pytest.approx(payload["longitude"])
    assert float(stored.latitude) == pytest.approx(payload["latitude"])
    assert stored.coordinate_system == "wgs84"
    assert stored.content == payload["content"]
    assert stored.city_category == payload["city_category"]
    assert stored.police_dispatched is False
    assert stored.suggested_urgency == "urgent"
    assert stored.repeat_calls == 3


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"received_at": "0001-01-01T00:00:00+08:00"}, id="received-year-1"),
        pytest.param({"transferred_at": "9999-12-31T23:59:59-08:00"}, id="transferred-year-9999"),
    ],
)
def test_given_extreme_but_well_formed_times_when_posting_then_answered_without_a_crash(
    lenient, overrides
):
    response = lenient.post_incident(incident_payload(**overrides))
    assert response.status_code in (201, 422), response.status_code
    if response.status_code == 422:
        assert_error(response, 422, "invalid")
        assert error_fields(response) == list(overrides)

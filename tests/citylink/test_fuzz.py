"""Property-based fuzzing of the inbound interface: whatever JSON the city sends, correctly signed,
the district answers with one of the contract's documented statuses (never 5xx), and every 4xx
carries the contract's error body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liandong.citylink.models import CityPeer, KeyDirection
from liandong.citylink.peers import do_add_peer_key
from tests.citylink.conftest import CITY_SECRET, City, incident_payload

INCIDENT_STATUSES = {200, 201, 400, 409, 413, 415, 422}
MESSAGE_STATUSES = {200, 201, 400, 404, 409, 413, 415, 422}
INCIDENT_FIELDS = [
    "incident_id",
    "received_at",
    "transferred_at",
    "caller_name",
    "caller_phone",
    "address",
    "longitude",
    "latitude",
    "coordinate_system",
    "content",
    "city_category",
    "police_dispatched",
    "urgency",
    "repeat_calls",
]
MESSAGE_FIELDS = ["message_id", "type", "sent_at", "text"]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Times that parse, across the whole range a datetime can hold and the widest offsets.
times = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.sampled_from(
        [
            UTC,
            timezone(timedelta(hours=8)),
            timezone(timedelta(hours=14)),
            timezone(-timedelta(hours=12)),
        ]
    ),
).map(lambda d: d.isoformat())

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.text(alphabet="0123456789+- ", max_size=25),
    st.text(alphabet="AZaz09_.-", min_size=1, max_size=70),
    st.sampled_from(
        ["supplement", "urge", "withdraw", "gcj02", "wgs84", "bd09", "urgent", "normal"]
    ),
    times,
)
json_values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


_client: list[Client] = []


def _city() -> City:
    """The city, built inside the test (a fixture would be shared by all examples anyway); one
    Client for the whole module, since building one loads the middleware stack."""
    if not _client:
        _client.append(Client(raise_request_exception=False))
    peer, created = CityPeer.objects.get_or_create(
        peer_id="shenyang-city", defaults={"district_peer_id": "yuhong-district"}
    )
    if created:
        do_add_peer_key(peer=peer, direction=KeyDirection.INBOUND, secret=CITY_SECRET)
    return City(peer=peer, client=_client[0])


def _check(response: Any, allowed: set[int]) -> None:
    status = response.status_code
    assert status < 500, (status, response.content[:300])
    assert status in allowed, (status, response.content[:300])
    if status >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "fields"}
        assert isinstance(body["error"]["fields"], list)
        for entry in body["error"]["fields"]:
            assert set(entry) == {"field", "code", "message"}


def _post(city: City, path: str, body: Any) -> Any:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return city.request("POST", path, raw)


_known_incident: dict[str, str] = {}


def _an_incident(city: City) -> str:
    """One city incident to send messages to (re-created per test transaction)."""
    from liandong.incidents.models import Incident

    key = "id"
    if (
        key in _known_incident
        and Incident.objects.filter(incident_id=_known_incident[key]).exists()
    ):
        return _known_incident[key]
    payload = incident_payload()
    assert city.post_incident(payload).status_code == 201
    _known_incident[key] = payload["incident_id"]
    return payload["incident_id"]


@pytest.mark.django_db
@FUZZ
@given(field=st.sampled_from(INCIDENT_FIELDS), value=json_values)
def test_given_any_json_value_in_any_incident_field_then_a_documented_status(field, value):
    city = _city()
    _check(_post(city, "/incidents", incident_payload(**{field: value})), INCIDENT_STATUSES)


@pytest.mark.django_db
@FUZZ
@given(field=st.sampled_from(["received_at", "transferred_at"]), value=times)
def test_given_any_well_formed_time_in_an_incident_then_a_documented_status(field, value):
    city = _city()
    overrides: dict[str, Any] = {field: value}
    if field == "received_at":
        overrides["transferred_at"] = value
    _check(_post(city, "/incidents", incident_payload(**overrides)), INCIDENT_STATUSES)


@pytest.mark.django_db
@FUZZ
@given(
    body=st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(INCIDENT_FIELDS) | st.text(max_size=8), json_values),
    )
)
def test_given_any_json_body_as_an_incident_then_a_documented_status(body):
    city = _city()
    _check(_post(city, "/incidents", body), INCIDENT_STATUSES)


@pytest.mark.django_db
@FUZZ
@given(
    field=st.sampled_from(MESSAGE_FIELDS),
    value=json_values,
    kind=st.sampled_from(["supplement", "urge", "withdraw"]),
)
def test_given_any_json_value_in_any_message_field_then_a_documented_status(field, value, kind):
    city = _city()
    incident_id = _an_incident(city)
    body: dict[str, Any] = {
        "message_id": "M-fuzz",
        "type": kind,
        "sent_at": "2026-11-30T09:15:00+08:00",
        "text": "报警人补充",
        field: value,
    }
    _check(_post(city, f"/incidents/{incident_id}/messages", body), MESSAGE_STATUSES)


@pytest.mark.django_db
@FUZZ
@given(
    body=st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(MESSAGE_FIELDS) | st.text(max_size=8), json_values),
    )
)
def test_given_any_json_body_as_a_message_then_a_documented_status(body):
    city = _city()
    incident_id = _an_incident(city)
    _check(_post(city, f"/incidents/{incident_id}/messages", body), MESSAGE_STATUSES)


@pytest.mark.django_db
@FUZZ
@given(raw=st.binary(max_size=300))
def test_given_any_bytes_as_a_body_then_a_documented_status(raw):
    city = _city()
    _check(city.request("POST", "/incidents", raw), INCIDENT_STATUSES)

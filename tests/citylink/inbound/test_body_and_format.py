"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says:
the body (size, content type, JSON).

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored.
"""

from __future__ import annotations

import json

import pytest

from liandong import clock
from liandong.citylink import signing
from liandong.citylink.models import InboundMessage
from tests.citylink.conftest import CITY_SECRET, incident_payload
from tests.citylink.inbound.support import (
    MAX_BODY,
    assert_error,
    msg,
    raw_request,
    received,
    snapshot,
)

# =================================================================================================
# Body and format
# =================================================================================================


def _padded(size: int) -> bytes:
    """A valid incident body of exactly `size` bytes (padding in an unknown field)."""
    payload = incident_payload(padding="")
    base = len(json.dumps(payload, ensure_ascii=False).encode())
    payload["padding"] = "x" * (size - base)
    body = json.dumps(payload, ensure_ascii=False).encode()
    assert len(body) == size
    return body


def test_given_a_300_kib_body_when_posting_then_413_and_nothing_created(city):
    before = snapshot()
    assert_error(raw_request(city, _padded(300 * 1024)), 413)
    assert snapshot() == before


def test_given_a_body_one_byte_over_256_kib_when_posting_then_413(city):
    before = snapshot()
    assert_error(raw_request(city, _padded(MAX_BODY + 1)), 413)
    assert snapshot() == before


def test_given_a_body_of_exactly_256_kib_when_posting_then_it_is_not_refused_as_too_large(city):
    response = raw_request(city, _padded(MAX_BODY))
    assert response.status_code == 201, response.content[:300]


def test_given_a_large_message_body_when_posting_then_413(city):
    incident = received(city)
    body = json.dumps(msg(padding="x" * (300 * 1024))).encode()
    response = city.request("POST", f"/incidents/{incident.incident_id}/messages", body)
    assert_error(response, 413)
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
    ],
)
def test_given_a_wrong_content_type_when_posting_then_415_and_nothing_created(city, content_type):
    before = snapshot()
    response = city.post_incident(incident_payload(), content_type=content_type)
    assert_error(response, 415)
    assert snapshot() == before


def test_given_a_wrong_content_type_on_a_message_then_415(city):
    incident = received(city)
    response = city.post_message(incident.incident_id, msg(), content_type="text/plain")
    assert_error(response, 415)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_given_json_content_type_with_or_without_charset_when_posting_then_accepted(
    city, content_type
):
    assert city.post_incident(incident_payload(), content_type=content_type).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{", id="unclosed"),
        pytest.param(b'{"incident_id": "SY1",}', id="trailing-comma"),
        pytest.param(b"{'incident_id': 'SY1'}", id="single-quotes"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b'{"a": "\xe6\x9a"}', id="truncated-utf8"),
        pytest.param(b"incident_id=SY1", id="form-encoded"),
    ],
)
def test_given_malformed_json_when_posting_then_400_malformed_json(city, body):
    before = snapshot()
    assert_error(raw_request(city, body), 400, "malformed_json")
    assert snapshot() == before


def test_given_an_empty_json_body_when_posting_then_400_malformed_json(city):
    ts = str(int(clock.now().timestamp()))
    response = city.client.post(
        "/api/city/v1/incidents",
        b"",
        content_type="application/json",
        CONTENT_TYPE="application/json",
        HTTP_X_PEER_ID=city.peer.peer_id,
        HTTP_X_TIMESTAMP=ts,
        HTTP_X_SIGNATURE=signing.signature(CITY_SECRET, ts, b""),
    )
    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"repeat_calls": ' + b"9" * 5000 + b"}", id="number-with-5000-digits"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-100000-deep"),
    ],
)
def test_given_json_our_parser_cannot_hold_when_posting_then_4xx_not_a_crash(lenient, body):
    before = snapshot()
    response = raw_request(lenient, body)
    assert response.status_code in (400, 413, 422), response.status_code
    assert_error(response, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_given_a_non_json_number_literal_when_posting_then_400_malformed_json(lenient, literal):
    # NaN and Infinity are not JSON (RFC 8259), though Python's json module reads them.
    payload = json.dumps(incident_payload(extra=0)).replace('"extra": 0', f'"extra": {literal}')
    before = snapshot()
    assert_error(raw_request(lenient, payload.encode()), 400, "malformed_json")
    assert snapshot() == before


def test_given_malformed_json_on_a_message_then_400_malformed_json(city):
    incident = received(city)
    response = city.request("POST", f"/incidents/{incident.incident_id}/messages", b"{nope")
    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [[], [incident_payload()], "an incident", 42, None, True])
def test_given_json_that_is_not_an_object_when_posting_then_422_invalid(city, body):
    before = snapshot()
    raw = json.dumps(body).encode()
    error = assert_error(raw_request(city, raw), 422, "invalid")
    assert len(error["fields"]) == 1
    assert snapshot() == before


@pytest.mark.parametrize("body", [[], "text", 1])
def test_given_a_message_that_is_not_an_object_then_422_invalid(city, body):
    incident = received(city)
    raw = json.dumps(body).encode()
    response = city.request("POST", f"/incidents/{incident.incident_id}/messages", raw)
    error = assert_error(response, 422, "invalid")
    assert len(error["fields"]) == 1


def test_given_a_lone_surrogate_escape_in_a_string_when_posting_then_4xx_not_a_crash(lenient):
    body = json.dumps(incident_payload(content="X")).replace('"X"', '"\\ud800"').encode()
    before = snapshot()
    response = lenient.request("POST", "/incidents", body)
    assert response.status_code in (400, 422), response.status_code
    assert_error(response, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/incidents", id="405-method-not-allowed"),
        pytest.param("POST", "/no-such-thing", id="404-no-route"),
    ],
)
def test_given_a_request_no_endpoint_answers_then_the_4xx_still_has_the_error_body(
    lenient, method, path
):
    response = lenient.request(method, path, {} if method == "POST" else None)
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)

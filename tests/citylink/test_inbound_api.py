"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says.

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from liandong import clock
from liandong.citylink import signing
from liandong.citylink.models import CityPeer, InboundMessage, KeyDirection, PeerKey
from liandong.citylink.peers import do_add_peer_key, do_revoke_peer_key
from liandong.common import secretbox as keystore
from liandong.incidents import actions
from liandong.incidents.models import (
    Deadline,
    Event,
    Incident,
    Instruction,
    Notification,
    Urge,
)
from liandong.units.models import Category, Unit
from tests.citylink.conftest import CITY_SECRET, DISTRICT_SECRET, City, incident_payload
from tests.citylink.test_contract import (
    INCIDENT_VIOLATIONS,
    MESSAGE_VIOLATIONS,
    NOW,
)
from tests.citylink.test_contract import incident as contract_incident
from tests.citylink.test_contract import message as contract_message
from tests.factories import instruction_of, new_incident, office_user, unit_user

MAX_BODY = 256 * 1024
AUTH_CODES = {"missing_credentials", "unknown_peer", "bad_signature", "stale_timestamp"}


# --- helpers ------------------------------------------------------------------------------------


_clients: dict[bool, Client] = {}


def _client(raise_exceptions: bool) -> Client:
    """One Client per module: the first request of a new Client builds the middleware stack, which
    scans the static files, and that would dominate the run time."""
    if raise_exceptions not in _clients:
        _clients[raise_exceptions] = Client(raise_request_exception=raise_exceptions)
    return _clients[raise_exceptions]


@pytest.fixture
def city(city: City) -> City:
    city.client = _client(True)
    return city


@pytest.fixture
def lenient(city: City) -> City:
    """The same city, but a crash comes back as an HTTP 500 instead of an exception in the test."""
    return City(peer=city.peer, client=_client(False))


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error body, exactly: {"error": {"code", "message", "fields": [...]}}."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["fields"], list)
    for entry in error["fields"]:
        assert set(entry) == {"field", "code", "message"}, entry
        assert all(isinstance(v, str) and v for v in entry.values()), entry
    if code is not None:
        assert error["code"] == code, error
    return error


def error_fields(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["fields"]]


def received(city: City, **overrides: Any) -> Incident:
    payload = incident_payload(**overrides)
    response = city.post_incident(payload)
    assert response.status_code == 201, response.content
    return Incident.objects.get(incident_id=payload["incident_id"])


def dispatch(
    incident: Incident,
    *,
    primary: str = "housing",
    cooperating: tuple[str, ...] = ("urban-constr",),
    level: int = 2,
) -> Incident:
    actions.do_dispatch_incident(
        actor=office_user(),
        incident=incident,
        incident_class="linked_disposal" if cooperating else "source_diversion",
        level=level,
        category=Category.objects.get(code="heating-leak"),
        primary_unit=Unit.objects.get(code=primary),
        cooperating_units=[Unit.objects.get(code=c) for c in cooperating],
    )
    incident.refresh_from_db()
    return incident


def close(incident: Incident) -> Incident:
    """Dispatch to one unit and take it all the way to closed, through the real actions."""
    dispatch(incident, cooperating=())
    housing = unit_user("housing")
    instruction = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=housing, instruction=instruction)
    actions.do_record_caller_contact(actor=housing, instruction=instruction, reached=True)
    actions.do_report_result(
        actor=housing, instruction=instruction, outcome="resolved", text="已修复"
    )
    office = office_user()
    actions.do_accept_result(actor=office, instruction=instruction)
    actions.do_close_incident(actor=office, incident=incident, outcome="已修复，报警人认可")
    incident.refresh_from_db()
    assert incident.status == "closed"
    return incident


_msg_seq = iter(range(1, 10**6))


def msg(type_: str = "supplement", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": f"M{next(_msg_seq):06d}",
        "type": type_,
        "sent_at": clock.now().isoformat(timespec="seconds"),
    }
    if type_ != "urge":
        body["text"] = (
            "报警人补充：漏水点在三楼东侧。" if type_ == "supplement" else "报警人已自行处理"
        )
    body.update(overrides)
    return body


def snapshot() -> dict[str, int]:
    return {
        "incidents": Incident.objects.count(),
        "events": Event.objects.count(),
        "notifications": Notification.objects.count(),
        "messages": InboundMessage.objects.count(),
        "urges": Urge.objects.count(),
    }


def raw_request(city: City, body: bytes, **kw: Any) -> Any:
    return city.request("POST", "/incidents", body, **kw)


# =================================================================================================
# Authentication
# =================================================================================================


@pytest.mark.parametrize("header", ["X-Peer-Id", "X-Timestamp", "X-Signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_given_one_auth_header_missing_when_posting_then_401_missing_credentials(city, header, how):
    before = snapshot()
    response = city.post_incident(
        incident_payload(), headers={header: None if how == "absent" else ""}
    )
    assert_error(response, 401, "missing_credentials")
    assert snapshot() == before


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, h: c.post_incident(incident_payload(), headers=h), id="incidents"),
        pytest.param(lambda c, h: c.post_message("SY1", msg(), headers=h), id="messages"),
        pytest.param(lambda c, h: c.get_incident("SY1", headers=h), id="get"),
    ],
)
def test_given_no_credentials_at_all_when_calling_any_endpoint_then_401(city, call):
    headers = {"X-Peer-Id": None, "X-Timestamp": None, "X-Signature": None}
    assert_error(call(city, headers), 401, "missing_credentials")


def test_given_an_unknown_peer_when_posting_then_401_unknown_peer(city):
    before = snapshot()
    response = city.post_incident(incident_payload(), peer_id="dalian-city")
    assert_error(response, 401, "unknown_peer")
    assert snapshot() == before


def test_given_a_deactivated_peer_when_posting_then_401_unknown_peer(city):
    CityPeer.objects.filter(pk=city.peer.pk).update(active=False)
    assert_error(city.post_incident(incident_payload()), 401, "unknown_peer")


def _hexpart(sig: str) -> str:
    return sig[len("sha256=") :]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda ts, body: signing.signature("wrong-secret-000000000000", ts, body),
            id="wrong-secret",
        ),
        pytest.param(
            lambda ts, body: signing.signature(CITY_SECRET, ts, body.replace(b"188", b"189")),
            id="body-changed-after-signing",
        ),
        pytest.param(
            lambda ts, body: _hexpart(signing.signature(CITY_SECRET, ts, body)), id="no-prefix"
        ),
        pytest.param(
            lambda ts, body: "sha256=" + _hexpart(signing.signature(CITY_SECRET, ts, body)).upper(),
            id="upper-case-hex",
        ),
        pytest.param(
            lambda ts, body: signing.signature(CITY_SECRET, str(int(ts) - 1), body),
            id="other-timestamp",
        ),
        pytest.param(
            lambda ts, body: signing.signature(DISTRICT_SECRET, ts, body), id="outbound-key"
        ),
        pytest.param(lambda ts, body: "sha256=" + "0" * 64, id="zeros"),
    ],
)
def test_given_a_signature_that_does_not_match_when_posting_then_401_bad_signature(city, forge):
    payload = incident_payload()
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(clock.now().timestamp()))
    before = snapshot()
    response = city.request(
        "POST", "/incidents", body, timestamp=int(ts), headers={"X-Signature": forge(ts, body)}
    )
    assert_error(response, 401, "bad_signature")
    assert snapshot() == before


def test_given_a_signature_with_non_ascii_characters_when_posting_then_401_not_a_crash(lenient):
    # Header values reach Django as latin-1 text; whatever a sender puts there must not crash us.
    response = lenient.post_incident(
        incident_payload(), headers={"X-Signature": "sha256=" + "é" * 64}
    )
    assert_error(response, 401, "bad_signature")


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        pytest.param(-301, 401, id="301s-past"),
        pytest.param(301, 401, id="301s-future"),
        pytest.param(-3600, 401, id="an-hour-past"),
        pytest.param(-300, 201, id="exactly-300s-past"),
        pytest.param(300, 201, id="exactly-300s-future"),
        pytest.param(0, 201, id="now"),
    ],
)
def test_given_a_timestamp_offset_when_posting_then_only_300s_either_way_is_accepted(
    city, frozen_at, offset, status
):
    frozen_at("2026-11-30T09:15:00+08:00")
    before = Incident.objects.count()
    ts = int(clock.now().timestamp()) + offset
    response = city.post_incident(incident_payload(), timestamp=ts)
    if status == 401:
        assert_error(response, 401, "stale_timestamp")
        assert Incident.objects.count() == before
    else:
        assert response.status_code == 201, response.content
        assert Incident.objects.count() == before + 1


@pytest.mark.parametrize("timestamp", ["abc", "1796001300.0", "", " ", "1.7e9", "-"])
def test_given_a_non_numeric_timestamp_when_posting_then_401(city, timestamp):
    # Correctly signed over the odd timestamp: only the timestamp itself is wrong.
    before = snapshot()
    response = city.post_incident(incident_payload(), timestamp=timestamp)  # type: ignore[arg-type]
    error = assert_error(response, 401)
    assert error["code"] in {"stale_timestamp", "missing_credentials"}
    assert snapshot() == before


def test_given_a_captured_request_when_replayed_after_the_window_then_401_and_nothing_created(
    city, frozen_at
):
    frozen_at("2026-11-30T09:15:00+08:00")
    payload = incident_payload()
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = int(clock.now().timestamp())
    # An attacker captures the signed request and replays it 301 s later.
    clock.advance(timedelta(seconds=301))
    response = city.request("POST", "/incidents", body, timestamp=ts)
    assert_error(response, 401, "stale_timestamp")
    assert not Incident.objects.filter(incident_id=payload["incident_id"]).exists()


def test_given_a_delivered_request_when_replayed_much_later_then_401_and_still_one_incident(
    city, frozen_at
):
    frozen_at("2026-11-30T09:15:00+08:00")
    payload = incident_payload()
    ts = int(clock.now().timestamp())
    assert city.post_incident(payload, timestamp=ts).status_code == 201
    clock.advance(timedelta(minutes=10))
    assert_error(city.post_incident(payload, timestamp=ts), 401, "stale_timestamp")
    assert Incident.objects.filter(incident_id=payload["incident_id"]).count() == 1


def test_given_two_active_inbound_keys_when_either_signs_then_both_are_accepted(city):
    new_secret = "city-secret-rotated-9876543210"
    do_add_peer_key(peer=city.peer, direction=KeyDirection.INBOUND, secret=new_secret)
    assert city.post_incident(incident_payload(), secret=CITY_SECRET).status_code == 201
    assert city.post_incident(incident_payload(), secret=new_secret).status_code == 201


def test_given_a_revoked_key_when_it_signs_then_401_and_the_other_key_still_works(city):
    new_secret = "city-secret-rotated-9876543210"
    do_add_peer_key(peer=city.peer, direction=KeyDirection.INBOUND, secret=new_secret)
    old = PeerKey.objects.get(
        peer=city.peer,
        direction=KeyDirection.INBOUND,
        fingerprint=keystore.fingerprint(CITY_SECRET),
    )
    do_revoke_peer_key(key=old)
    before = snapshot()
    assert_error(city.post_incident(incident_payload(), secret=CITY_SECRET), 401, "bad_signature")
    assert snapshot() == before
    assert city.post_incident(incident_payload(), secret=new_secret).status_code == 201


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"headers": {"X-Signature": None}}, "missing_credentials"),
        ({"peer_id": "dalian-city"}, "unknown_peer"),
        ({"secret": "wrong-secret-000000000000"}, "bad_signature"),
        ({"timestamp": 1}, "stale_timestamp"),
    ],
)
def test_given_any_401_then_the_body_holds_only_the_code_and_a_message(city, kw, code):
    payload = incident_payload()
    body = json.dumps(payload, ensure_ascii=False).encode()
    response = city.request("POST", "/incidents", body, **kw)
    error = assert_error(response, 401, code)
    assert error["fields"] == []
    text = response.content.decode()
    ts = str(kw.get("timestamp", int(clock.now().timestamp())))
    assert CITY_SECRET not in text and DISTRICT_SECRET not in text
    expected = _hexpart(signing.signature(CITY_SECRET, ts, body))
    assert expected not in text and expected[:16] not in text
    assert "sha256=" not in text
    assert keystore.fingerprint(CITY_SECRET) not in text


def test_given_peer_keys_then_they_are_stored_encrypted(city):
    keys = list(PeerKey.objects.filter(peer=city.peer))
    assert len(keys) == 2
    for key in keys:
        assert CITY_SECRET not in key.secret_encrypted
        assert DISTRICT_SECRET not in key.secret_encrypted
        assert keystore.decrypt(key.secret_encrypted) in (CITY_SECRET, DISTRICT_SECRET)
        assert key.fingerprint not in (CITY_SECRET, DISTRICT_SECRET)
        assert len(key.fingerprint) <= 16


def test_given_a_bad_signature_request_then_neither_secret_nor_signature_reaches_the_logs(
    city, caplog
):
    caplog.set_level(logging.DEBUG)
    payload = incident_payload()
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = int(clock.now().timestamp())
    response = city.request(
        "POST", "/incidents", body, secret="wrong-secret-000000000000", timestamp=ts
    )
    assert response.status_code == 401
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    expected = _hexpart(signing.signature(CITY_SECRET, str(ts), body))
    assert CITY_SECRET not in logged
    assert DISTRICT_SECRET not in logged
    assert expected not in logged


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


# =================================================================================================
# Messages
# =================================================================================================


def test_given_a_supplement_then_201_an_event_and_every_holder_and_the_office_notified(city):
    incident = dispatch(received(city))
    body = msg("supplement", text="报警人补充：三楼东侧，水很烫。")
    response = city.post_message(incident.incident_id, body)
    assert response.status_code == 201
    assert response.json() == {"message_id": body["message_id"], "status": "accepted"}
    events = Event.objects.filter(incident=incident, kind="supplemented")
    assert events.count() == 1
    assert "三楼东侧" in events.get().summary or "三楼东侧" in json.dumps(
        events.get().data, ensure_ascii=False
    )
    notified = set(
        Notification.objects.filter(incident=incident, kind="supplement").values_list(
            "unit__code", flat=True
        )
    )
    assert notified == {"housing", "urban-constr", "office"}
    stored = InboundMessage.objects.get(incident=incident, message_id=body["message_id"])
    assert stored.type == "supplement"


def test_given_a_supplement_on_an_undispatched_incident_then_the_office_is_told(city):
    incident = received(city)
    assert city.post_message(incident.incident_id, msg("supplement")).status_code == 201
    assert Event.objects.filter(incident=incident, kind="supplemented").count() == 1
    assert Notification.objects.filter(
        incident=incident, kind="supplement", unit__code="office"
    ).exists()


def test_given_an_urge_then_each_unit_with_an_open_instruction_gets_a_counted_city_urge(city):
    incident = dispatch(received(city))
    response = city.post_message(incident.incident_id, msg("urge", text="报警人再次来电催促"))
    assert response.status_code == 201
    urges = Urge.objects.filter(instruction__incident=incident)
    assert urges.count() == 2
    assert all(u.by_city for u in urges)
    assert sorted(u.instruction.unit.code for u in urges) == ["housing", "urban-constr"]
    notified = set(
        Notification.objects.filter(incident=incident, kind="urged").values_list(
            "unit__code", flat=True
        )
    )
    assert {"housing", "urban-constr"} <= notified


def test_given_an_urge_without_text_then_201(city):
    incident = dispatch(received(city))
    response = city.post_message(incident.incident_id, msg("urge"))
    assert response.status_code == 201
    assert Urge.objects.filter(instruction__incident=incident, by_city=True).count() == 2


def test_given_an_urge_with_a_long_text_within_2000_characters_then_201(lenient):
    incident = dispatch(received(lenient))
    response = lenient.post_message(incident.incident_id, msg("urge", text="催" * 1500))
    assert response.status_code == 201, response.content[:300]
    assert Urge.objects.filter(instruction__incident=incident, by_city=True).count() == 2


def test_given_an_urge_on_an_undispatched_incident_then_an_event_and_no_urge_rows(city):
    incident = received(city)
    response = city.post_message(incident.incident_id, msg("urge", text="再次来电"))
    assert response.status_code == 201
    assert Event.objects.filter(incident=incident, kind="urged").count() == 1
    assert Urge.objects.filter(instruction__incident=incident).count() == 0


def test_given_a_unit_whose_result_awaits_review_when_urged_then_the_urge_still_reaches_it(city):
    incident = dispatch(received(city))
    urban = unit_user("urban-constr")
    coop = instruction_of(incident, "urban-constr")
    actions.do_sign_instruction(actor=urban, instruction=coop)
    actions.do_report_result(actor=urban, instruction=coop, outcome="resolved", text="已配合处置")
    assert Instruction.objects.get(pk=coop.pk).state == "result_reported"
    assert city.post_message(incident.incident_id, msg("urge", text="再次来电")).status_code == 201
    reached = set(
        Notification.objects.filter(incident=incident, kind="urged").values_list(
            "unit__code", flat=True
        )
    )
    # The contract: an urge "reaches the units that hold it"; urban-constr still holds it.
    assert {"housing", "urban-constr"} <= reached


def test_given_a_withdraw_then_the_incident_stops_and_every_holder_is_told(city):
    incident = dispatch(received(city))
    housing = unit_user("housing")
    actions.do_sign_instruction(actor=housing, instruction=instruction_of(incident, "housing"))
    met_before = set(
        Deadline.objects.filter(instruction__incident=incident, state="met").values_list(
            "pk", flat=True
        )
    )
    assert met_before  # the sign deadline of housing
    response = city.post_message(incident.incident_id, msg("withdraw", text="报警人已自行处理"))
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.status == "withdrawn"
    assert set(incident.instructions.values_list("state", flat=True)) == {"cancelled"}
    deadlines = Deadline.objects.filter(instruction__incident=incident)
    assert not deadlines.filter(state="open").exists()
    assert deadlines.filter(state="stopped").exists()
    assert set(deadlines.filter(state="met").values_list("pk", flat=True)) == met_before
    told = set(
        Notification.objects.filter(incident=incident, kind="withdrawn").values_list(
            "unit__code", flat=True
        )
    )
    assert told == {"housing", "urban-constr"}


def test_given_a_withdraw_of_an_undispatched_incident_then_it_is_withdrawn(city):
    incident = received(city)
    assert city.post_message(incident.incident_id, msg("withdraw")).status_code == 201
    incident.refresh_from_db()
    assert incident.status == "withdrawn"


@pytest.mark.parametrize("type_", ["supplement", "urge", "withdraw"])
def test_given_a_repeated_message_id_with_the_same_content_then_200_and_applied_once(city, type_):
    incident = dispatch(received(city))
    body = msg(type_, text="同一条消息")
    first = city.post_message(incident.incident_id, body)
    assert first.status_code == 201
    after_first = snapshot()
    again = city.post_message(incident.incident_id, body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert snapshot() == after_first


def test_given_a_repeated_message_after_the_incident_closed_then_still_200(city):
    incident = received(city)
    body = msg("supplement")
    assert city.post_message(incident.incident_id, body).status_code == 201
    close(incident)
    assert city.post_message(incident.incident_id, body).status_code == 200


@pytest.mark.parametrize("type_", ["supplement", "urge", "withdraw"])
def test_given_a_message_id_reused_with_other_content_then_409_and_not_applied(city, type_):
    incident = dispatch(received(city))
    body = msg("supplement", text="第一次")
    assert city.post_message(incident.incident_id, body).status_code == 201
    before = snapshot()
    other = {**body, "type": type_, "text": "内容不同"}
    assert_error(city.post_message(incident.incident_id, other), 409, "conflict")
    assert snapshot() == before
    incident.refresh_from_db()
    assert incident.status == "dispatched"


def test_given_the_same_message_id_on_another_incident_then_it_is_a_new_message(city):
    one, two = received(city), received(city)
    body = msg("supplement")
    assert city.post_message(one.incident_id, body).status_code == 201
    assert city.post_message(two.incident_id, body).status_code == 201
    assert InboundMessage.objects.filter(message_id=body["message_id"]).count() == 2


@pytest.mark.parametrize("type_", ["supplement", "urge", "withdraw"])
def test_given_an_unknown_incident_when_a_message_arrives_then_404_unknown_incident(city, type_):
    before = snapshot()
    assert_error(city.post_message("SY-NOT-KNOWN", msg(type_)), 404, "unknown_incident")
    assert snapshot() == before


def test_given_a_manual_incident_id_when_a_message_arrives_then_404_unknown_incident(city):
    manual = new_incident()
    before = snapshot()
    assert_error(city.post_message(manual.incident_id, msg("supplement")), 404, "unknown_incident")
    assert snapshot() == before


@pytest.mark.parametrize("type_", ["supplement", "urge"])
def test_given_a_closed_incident_when_supplement_or_urge_arrives_then_409_closed(city, type_):
    incident = close(received(city))
    before = snapshot()
    assert_error(city.post_message(incident.incident_id, msg(type_)), 409, "closed")
    assert snapshot() == before


@pytest.mark.parametrize("type_", ["supplement", "withdraw"])
@pytest.mark.parametrize("text", ["__missing__", None, ""])
def test_given_supplement_or_withdraw_without_text_then_422_naming_text(city, type_, text):
    incident = received(city)
    body = msg(type_)
    if text == "__missing__":
        body.pop("text")
    else:
        body["text"] = text
    before = snapshot()
    response = city.post_message(incident.incident_id, body)
    assert_error(response, 422, "invalid")
    assert error_fields(response) == ["text"]
    assert snapshot() == before


@pytest.mark.parametrize("value", ["cancel", "SUPPLEMENT", "", 1, None, ["urge"]])
def test_given_a_bad_message_type_then_422_naming_type(city, value):
    incident = received(city)
    before = snapshot()
    response = city.post_message(incident.incident_id, msg("supplement", type=value))
    assert_error(response, 422, "invalid")
    assert error_fields(response) == ["type"]
    assert snapshot() == before


@pytest.mark.parametrize(("field", "overrides"), MESSAGE_VIOLATIONS)
def test_given_one_rule_broken_in_a_message_then_422_naming_that_field_only(city, field, overrides):
    incident = received(city)
    before = snapshot()
    response = city.post_message(incident.incident_id, contract_message(**overrides))
    assert_error(response, 422, "invalid")
    assert error_fields(response) == [field]
    assert snapshot() == before


# =================================================================================================
# GET /incidents/{id}
# =================================================================================================


def test_given_an_unknown_id_when_asked_then_404_unknown_incident(city):
    assert_error(city.get_incident("SY-NOT-KNOWN"), 404, "unknown_incident")


def test_given_a_manual_incident_id_when_asked_then_404_unknown_incident(city):
    assert_error(city.get_incident(new_incident().incident_id), 404, "unknown_incident")


def test_given_a_new_incident_when_asked_then_status_and_null_class_and_level(city):
    incident = received(city)
    response = city.get_incident(incident.incident_id)
    assert response.status_code == 200
    body = response.json()
    assert body["incident_id"] == incident.incident_id
    assert body["status"] == "new"
    assert "class" in body and body["class"] is None
    assert "level" in body and body["level"] is None
    assert body["units"] == []
    assert body["reports"] == []


def test_given_a_dispatched_incident_when_asked_then_units_deadlines_and_reports(city, frozen_at):
    frozen_at("2026-12-01T10:00:00+08:00")  # a Tuesday morning
    incident = dispatch(received(city), level=2)
    body = city.get_incident(incident.incident_id).json()
    assert body["status"] == "dispatched"
    assert body["class"] == "linked_disposal"
    assert body["level"] == 2
    units = {u["code"]: u for u in body["units"]}
    assert {code: u["role"] for code, u in units.items()} == {
        "housing": "primary",
        "urban-constr": "cooperating",
    }
    assert all(u["state"] == "pending_sign" for u in units.values())
    for unit in units.values():
        assert unit["deadlines"], unit
        for deadline in unit["deadlines"]:
            assert deadline["state"] == "open"
            due = datetime.fromisoformat(deadline["due_at"])
            assert due.utcoffset() is not None and due > clock.now()
    reports = body["reports"]
    assert [(r["type"], r["sequence"]) for r in reports] == [("dispatched", 1)]


def test_given_one_unit_signed_on_time_and_one_late_then_met_and_missed(city, frozen_at):
    frozen_at("2026-12-01T10:00:00+08:00")
    incident = dispatch(received(city), level=2)
    actions.do_sign_instruction(
        actor=unit_user("housing"), instruction=instruction_of(incident, "housing")
    )
    clock.advance(timedelta(days=2))
    actions.do_sign_instruction(
        actor=unit_user("urban-constr"), instruction=instruction_of(incident, "urban-constr")
    )
    body = city.get_incident(incident.incident_id).json()
    units = {u["code"]: u for u in body["units"]}
    sign = {
        code: next(d for d in u["deadlines"] if d.get("kind") == "sign")
        for code, u in units.items()
    }
    assert sign["housing"]["state"] == "met"
    assert sign["urban-constr"]["state"] == "missed"
    assert units["housing"]["state"] == "signed"
    assert [r["sequence"] for r in body["reports"]] == list(range(1, len(body["reports"]) + 1))
    assert [r["type"] for r in body["reports"]][:3] == ["dispatched", "signed", "signed"]


def test_given_a_withdrawn_incident_when_asked_then_its_status_says_so(city):
    incident = dispatch(received(city))
    city.post_message(incident.incident_id, msg("withdraw"))
    body = city.get_incident(incident.incident_id).json()
    assert body["status"] == "withdrawn"
    assert all(u["state"] == "cancelled" for u in body["units"])
    assert "withdrawn" in [r["type"] for r in body["reports"]]

"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says:
authentication (peer, timestamp, signature, keys).

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from liandong import clock
from liandong.citylink import signing
from liandong.citylink.models import CityPeer, KeyDirection, PeerKey
from liandong.citylink.peers import do_add_peer_key, do_revoke_peer_key
from liandong.common import secretbox as keystore
from liandong.incidents.models import Incident
from tests.citylink.conftest import CITY_SECRET, DISTRICT_SECRET, incident_payload
from tests.citylink.inbound.support import assert_error, msg, snapshot

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

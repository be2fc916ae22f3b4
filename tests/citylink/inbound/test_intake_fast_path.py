"""Issue 13, intake speed: what one signed hand-over costs, and that the shortcuts taken for it
(keys cached per process, no look-up before the insert, the office and the templates cached, the
lean middleware of /api/city/) change nothing the contract or the product relies on."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from liandong import clock
from liandong.audit import context as audit_context
from liandong.citylink import peers, signing
from liandong.citylink.models import CityPeer, KeyDirection, PeerKey
from liandong.citylink.peers import do_add_peer_key, do_revoke_peer_key
from liandong.incidents.actions import kernel
from liandong.incidents.actions.receipts import do_record_receipts
from liandong.incidents.models import Event, Incident, Notification
from liandong.units.models import Unit
from tests.citylink.conftest import CITY_SECRET, City, incident_payload
from tests.citylink.inbound.support import assert_error

pytestmark = pytest.mark.django_db

ROTATED = "city-secret-rotated-9876543210"


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """What an intake sent ("INSERT incidents_event", "SELECT units_unit"), without the test's
    own savepoints and the live screens' NOTIFY."""
    found = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if sql.upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")) or "pg_notify" in sql:
            continue
        table = re.search(r'(?:INTO|FROM|UPDATE) "(\w+)"', sql)
        found.append(f"{sql.split()[0].upper()} {table.group(1) if table else sql[:40]}")
    return found


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Calling the WSGI application directly: its request signals must not close the test's
    connection (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_a_warm_intake_reads_nothing_and_writes_the_incident_alone(city: City) -> None:
    """The request writes the incident with its receipt pending; the worker's step writes the
    receipt's event, audit entry and the office's notification, one insert each for a batch,
    and clears the marker (ADR 26). No statistics queue row (an incident without instructions
    has no facts yet: stats/facts.py NO_FACTS_YET)."""
    assert city.post_incident(incident_payload()).status_code == 201  # warms the caches
    assert do_record_receipts() == 1  # and the office's, the templates'
    with CaptureQueriesContext(connection) as ctx:
        response = city.post_incident(incident_payload())
        assert city.post_incident(incident_payload()).status_code == 201
    assert response.status_code == 201, response.content
    assert _statements(ctx) == ["INSERT incidents_incident", "INSERT incidents_incident"]
    with CaptureQueriesContext(connection) as ctx:
        assert do_record_receipts() == 2
    assert _statements(ctx) == [
        "SELECT incidents_incident",
        "INSERT incidents_event",
        "INSERT audit_auditentry",
        "INSERT incidents_notification",
        "UPDATE incidents_incident",
    ]


def test_a_repeat_costs_the_failed_insert_and_one_look_up(city: City) -> None:
    payload = incident_payload()
    assert city.post_incident(payload).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        again = city.post_incident(payload)
    assert again.status_code == 200
    assert _statements(ctx) == ["INSERT incidents_incident", "SELECT incidents_incident"]
    assert Incident.objects.filter(incident_id=payload["incident_id"]).count() == 1
    do_record_receipts()
    assert Event.objects.filter(incident__incident_id=payload["incident_id"]).count() == 1
    changed = dict(payload, content="另一件事")
    assert_error(city.post_incident(changed), 409, "conflict")


def test_a_manual_incident_holding_the_id_is_a_conflict_not_a_repeat(city: City) -> None:
    from tests.factories import new_incident

    taken = new_incident()  # its id, QY…, matches the contract's pattern
    assert_error(
        city.post_incident(incident_payload(incident_id=taken.incident_id)), 409, "conflict"
    )


# --- the keys' cache -------------------------------------------------------------------------------


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """This process's monotonic clock moved on (the cache's age, not the product's clock)."""
    now = peers.time.monotonic()
    monkeypatch.setattr(peers.time, "monotonic", lambda: now + seconds)


def test_a_key_revoked_here_stops_working_at_once(city: City) -> None:
    do_add_peer_key(peer=city.peer, direction=KeyDirection.INBOUND, secret=ROTATED)
    assert city.post_incident(incident_payload(), secret=CITY_SECRET).status_code == 201  # cached
    old = PeerKey.objects.get(peer=city.peer, fingerprint=peers.keystore.fingerprint(CITY_SECRET))
    do_revoke_peer_key(key=old)
    assert_error(city.post_incident(incident_payload(), secret=CITY_SECRET), 401, "bad_signature")
    assert city.post_incident(incident_payload(), secret=ROTATED).status_code == 201


def test_a_key_added_here_works_at_once(city: City) -> None:
    assert city.post_incident(incident_payload()).status_code == 201  # cached without it
    do_add_peer_key(peer=city.peer, direction=KeyDirection.INBOUND, secret=ROTATED)
    assert city.post_incident(incident_payload(), secret=ROTATED).status_code == 201


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_time(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert city.post_incident(incident_payload()).status_code == 201  # cached in this process
    # Another server process revokes it: this process hears nothing (no signal, no forget).
    PeerKey.objects.filter(peer=city.peer, direction=KeyDirection.INBOUND).update(active=False)
    assert city.post_incident(incident_payload()).status_code == 201  # the documented window
    _later(monkeypatch, peers.KEY_CACHE_SECONDS + 0.1)
    assert_error(city.post_incident(incident_payload()), 401, "bad_signature")


def test_a_peer_switched_off_by_another_process_is_unknown_within_the_cache_time(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert city.post_incident(incident_payload()).status_code == 201
    CityPeer.objects.filter(pk=city.peer.pk).update(active=False)
    _later(monkeypatch, peers.KEY_CACHE_SECONDS + 0.1)
    assert_error(city.post_incident(incident_payload()), 401, "unknown_peer")


def test_an_unknown_peer_is_not_remembered(city: City) -> None:
    assert_error(city.post_incident(incident_payload(), peer_id="dalian-city"), 401, "unknown_peer")
    dalian = CityPeer.objects.create(peer_id="dalian-city")
    do_add_peer_key(peer=dalian, direction=KeyDirection.INBOUND, secret=ROTATED)
    response = city.post_incident(incident_payload(), peer_id="dalian-city", secret=ROTATED)
    assert response.status_code == 201


def test_secrets_read_under_another_secrets_key_are_not_reused(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert city.post_incident(incident_payload()).status_code == 201
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "a-key-that-opens-nothing-stored")
    assert_error(city.post_incident(incident_payload()), 401, "bad_signature")


# --- the office and the templates, cached --------------------------------------------------------


def test_the_office_is_read_once_and_again_after_it_changes(
    django_assert_num_queries: Any,
) -> None:
    office = kernel.office_unit()
    with django_assert_num_queries(0):
        assert kernel.office_unit().pk == office.pk
    Unit.objects.filter(pk=office.pk).first().save()  # e.g. renamed in the admin
    with django_assert_num_queries(1):
        kernel.office_unit()


def test_an_intake_notifies_the_office(city: City) -> None:
    payload = incident_payload()
    assert city.post_incident(payload).status_code == 201
    assert not Notification.objects.exists()  # the worker's step writes it
    do_record_receipts()
    note = Notification.objects.get(incident__incident_id=payload["incident_id"])
    assert note.unit_id == kernel.office_unit().pk and note.kind == "new_incident"


# --- the lean middleware of /api/city/ ---------------------------------------------------------


def _wsgi(path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[str, Any]:
    from liandong.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST" if body else "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "SERVER_PROTOCOL": "HTTP/1.1",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()},
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, header_list: list[tuple[str, str]], *_: Any) -> None:
        answer["status"] = status
        answer["headers"] = header_list

    content = b"".join(application(environ, start_response))
    return answer["status"], (dict(answer["headers"]), answer["headers"], content)


def test_the_city_interface_is_served_by_its_lean_handler_with_the_headers_that_matter(
    city: City,
) -> None:
    payload = incident_payload()
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(clock.now().timestamp()))
    status, (headers, header_list, content) = _wsgi(
        "/api/city/v1/incidents",
        body,
        {
            "X-Peer-Id": city.peer.peer_id,
            "X-Timestamp": ts,
            "X-Signature": signing.signature(CITY_SECRET, ts, body),
            "X-Request-Id": "req-from-city-0001",
        },
    )
    assert status.startswith("201"), content
    assert headers["X-Request-Id"] == "req-from-city-0001"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in headers
    assert not any(name == "Set-Cookie" for name, _ in header_list)  # no session, no CSRF cookie
    assert "Cookie" not in headers.get("Vary", "")
    # The audit entry of the event, written by the worker's step, says the city's signature
    # authenticated it, with the request's id, address and moment.
    from liandong.audit.models import AuditEntry

    with audit_context.acting(method="worker", request=None):
        do_record_receipts()
    incident = Incident.objects.get()
    entry = AuditEntry.objects.get(target=f"incident:{incident.pk}")
    assert (entry.auth_method, entry.token_prefix) == ("city", city.peer.peer_id[:12])
    assert entry.request_id == "req-from-city-0001"
    assert (entry.ip, entry.at) == ("127.0.0.1", incident.accepted_at)


def test_the_rest_of_the_site_keeps_the_full_stack() -> None:
    from liandong.wsgi import city_application, full_application

    status, (headers, _, _) = _wsgi("/login/")
    assert status.startswith("200")
    assert "csrftoken" in headers.get("Set-Cookie", "")  # CSRF middleware ran
    assert city_application is not full_application


def test_an_unknown_city_path_and_a_wrong_method_keep_the_error_body() -> None:
    status, (_, _, content) = _wsgi("/api/city/v1/nothing-here")
    assert status.startswith("404")
    assert json.loads(content)["error"]["code"] == "not_found"
    status, (_, _, content) = _wsgi("/api/city/v1/incidents")
    assert status.startswith(("401", "405")), content
    assert "error" in json.loads(content)


def test_a_wrong_host_is_refused_on_the_city_interface_too() -> None:
    status, _ = _wsgi("/api/city/v1/incidents", headers={"Host": "evil.example"})
    assert status.startswith("400")

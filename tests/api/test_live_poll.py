"""The console's live poll (issue 13): while nothing it shows has changed, a poll is answered 204
with at most 2 cheap queries on PostgreSQL (the session and the user; the live signal's listener
knows the rest) and 3 on SQLite (one more for the version); any committed change, made by any
connection, makes the next poll read again. Transactional: the changes must really commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liandong import clock
from liandong.common import live_signal
from liandong.incidents import actions
from liandong.incidents.actions.intake import CLAIM_MINUTES
from liandong.web.console import TRUST_SECONDS, fresh_until, unchanged
from tests.factories import new_incident, office_user

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/console/live?"


@pytest.fixture(autouse=True)
def _fresh_listener() -> Iterator[None]:
    """Each test hears the live signal on its own database from a listener started anew."""
    live_signal.listener.stop()
    yield
    live_signal.listener.stop()


def connected() -> str | None:
    """On PostgreSQL: wait until the listener is connected; its version."""
    if connection.vendor != "postgresql":
        return None
    deadline = time.monotonic() + 10
    while (version := live_signal.version()) is None:
        assert time.monotonic() < deadline, "the live listener never connected"
        time.sleep(0.05)
    return version


def moved_from(version: str | None) -> None:
    """On PostgreSQL: wait until the listener has heard of a change after `version`."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 10
    while live_signal.version() in (version, None):
        assert time.monotonic() < deadline, "the change never reached the listener"
        time.sleep(0.02)


def office_client() -> Client:
    client = Client()
    client.force_login(office_user())
    return client


def test_a_poll_when_nothing_changed_is_204_with_at_most_two_queries_on_postgresql():
    new_incident(content="第一起")
    client = office_client()
    connected()
    first = client.get(URL)
    assert first.status_code == 200
    version = first.json()["version"]
    assert version
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, {"since": version})
    assert again.status_code == 204
    assert again.content == b""
    budget = 2 if connection.vendor == "postgresql" else 3
    assert len(queries) <= budget, [q["sql"] for q in queries]


def test_a_change_committed_elsewhere_makes_the_next_poll_read():
    client = office_client()
    before = connected()
    version = client.get(URL).json()["version"]

    def elsewhere() -> None:  # another thread: another database connection
        try:
            new_incident(content="另一连接上报的警情")
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(30)
    moved_from(before)
    fresh = client.get(URL, {"since": version})
    assert fresh.status_code == 200
    body = fresh.json()
    assert [i["content"] for i in body["intake"]] == ["另一连接上报的警情"]
    assert body["counts"]["intake"] == 1
    assert body["version"] != version
    assert client.get(URL, {"since": body["version"]}).status_code == 204


def test_the_answer_reads_only_the_columns_it_shows():
    new_incident(content="只读需要的列")
    client = office_client()
    connected()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    incident_reads = [q["sql"] for q in queries if 'FROM "incidents_incident"' in q["sql"]]
    assert incident_reads
    assert all("raw_request" not in sql and "caller_phone" not in sql for sql in incident_reads)


def test_an_unknown_or_foreign_version_is_answered_in_full():
    client = office_client()
    connected()
    assert client.get(URL, {"since": "nonsense"}).status_code == 200
    assert client.get(URL, {"since": "r0~9999999999"}).status_code == 200


def test_a_claim_running_out_is_a_change_without_any_write():
    now = clock.now()
    assert fresh_until([new_incident()], now) == int(now.timestamp()) + TRUST_SECONDS + 1
    held = actions.do_claim_incident(actor=office_user(), incident=new_incident())
    end = fresh_until([held], now)
    assert now.timestamp() < end <= (now + timedelta(minutes=CLAIM_MINUTES)).timestamp() + 1
    assert unchanged(f"v1~{end}", "v1", now)
    assert not unchanged(f"v1~{end}", "v1", now + timedelta(minutes=CLAIM_MINUTES, seconds=2))
    assert not unchanged(f"v1~{end}", "v2", now)
    assert not unchanged("v1", "v1", now)


def test_a_version_is_trusted_for_a_minute_at_most():
    """A change whose announcement was lost (a process killed right after its commit) shows
    within TRUST_SECONDS."""
    now = clock.now()
    end = fresh_until([], now)
    assert unchanged(f"v1~{end}", "v1", now + timedelta(seconds=TRUST_SECONDS - 1))
    assert not unchanged(f"v1~{end}", "v1", now + timedelta(seconds=TRUST_SECONDS + 1))


@pytest.fixture
def _postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the LISTEN/NOTIFY signal needs PostgreSQL: set LIANDONG_DATABASE_URL")


@pytest.mark.usefixtures("_postgres")
def test_a_rolled_back_change_announces_nothing_and_a_transaction_announces_once():
    before = connected()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        new_incident(content="一")
        new_incident(content="二")
    notifies = [q for q in queries if "pg_notify" in q["sql"]]
    assert len(notifies) == 1
    moved_from(before)
    after = live_signal.version()

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        new_incident(content="撤销")
        raise Undo
    time.sleep(live_signal.HEARTBEAT_SECONDS + 0.5)  # long enough to hear it, were it sent
    assert live_signal.version() == after


@pytest.mark.usefixtures("_postgres")
def test_a_change_on_a_plain_connection_reaches_the_listener():
    import psycopg

    before = connected()
    params = live_signal._connect_params("default")
    # Not Django's connection: as another node's would be.
    with psycopg.connect(**params) as other, other.transaction():
        other.execute("SELECT pg_notify(%s, pg_current_xact_id()::text)", [live_signal.CHANNEL])
    moved_from(before)


@pytest.mark.usefixtures("_postgres")
def test_without_the_listener_the_poll_reads_and_never_answers_unchanged():
    client = office_client()
    version = connected()
    assert client.get(URL).json()["version"].startswith(f"{version}~")
    live_signal.listener.stop()
    live_signal.listener.current = None
    # The listener is down (and restarting): the poll reads; it vouches for no version.
    body = client.get(URL, {"since": f"{version}~9999999999"})
    assert body.status_code == 200
    assert not (body.json()["version"] or "").startswith(version)


def test_the_listener_may_connect_elsewhere_than_the_pooler(monkeypatch):
    monkeypatch.setenv("LIANDONG_LIVE_DATABASE_URL", "postgresql://live@db.internal:5432/liandong")
    params = live_signal._connect_params("default")
    assert params["conninfo"] == "postgresql://live@db.internal:5432/liandong"
    assert params["keepalives"] == 1

"""Several nodes (issue 13): two real `liandong serve` processes and two real `liandong worker`
processes against one PostgreSQL database, as on two machines.

The city sends incidents to both servers (signed, concurrently); the office dispatches some
through either server with an API token; the workers deliver. Then: nothing is sent twice (each
city report reaches the city's receiver once, each group-robot message reaches the robot's local
fake once), nothing is lost (every incident answered 201 is stored once with its events), and a
console polling server A sees a change made through server B (the live signal is PostgreSQL's
LISTEN/NOTIFY, not process memory).

Its own scratch database (the test database's name + `_topology`), dropped at the end; skipped
on SQLite."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from liandong.citylink.simulator import ReportReceiver
from liandong.demo import DEMO_DISTRICT_PEER, DEMO_DISTRICT_SECRET
from tests.channels.fakes import FakeHttpServer
from tests.citylink.procs import Proc, free_port, run_command, wait_until
from tests.citylink.test_process_faults import city_post, incident_body

#: migrating a fresh database and starting four processes takes a while on two shared cores
pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

PER_SERVER = 12  # incidents the city sends to each server
DISPATCHED = 8  # of which the office dispatches (half through each server)

SETUP_CODE = """
import json
from django.test import Client
from liandong.accounts.models import Role, User
from liandong.accounts.services import do_issue_api_token
from liandong.demo import configure_demo_city
from liandong.notifications.actions import do_set_robot_secrets
from liandong.notifications.models import GroupRobot
from liandong.units.models import Unit

params = json.loads(PARAMS)
configure_demo_city(params['reports_url'])
dispatcher = User.objects.create(username='topo-diaodu', first_name='王调度', role=Role.DISPATCHER)
_, token = do_issue_api_token(user=dispatcher, name='topology')
robot = GroupRobot.objects.create(unit=Unit.objects.get(code='ecology'), kind='wecom', name='值班群')
do_set_robot_secrets(robot=robot, url=params['robot_url'], secret=None)
client = Client()
client.force_login(dispatcher)
print('RESULT ' + json.dumps({'token': token, 'session': client.cookies['sessionid'].value}))
"""


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several nodes share one PostgreSQL: set LIANDONG_DATABASE_URL=postgresql://…")


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """A fresh database next to the test database, dropped at the end."""
    import psycopg

    params = connection.settings_dict
    name = f"{params['NAME']}_topology_{os.getpid()}"
    auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    server = f"postgresql://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def processes() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


def shell(home: Path, env: dict[str, str], code: str) -> Any:
    """Run Python code in `liandong shell` against the scratch database; its RESULT line."""
    out = run_command(home, "shell", "--no-imports", "-c", code, timeout=120, **env)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, out[-4000:]
    return json.loads(lines[-1][len("RESULT ") :])


def sql(url: str, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(statement, args).fetchall())


class Node:
    """One `liandong serve` process (one gunicorn worker) on its own port."""

    def __init__(self, home: Path, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = Proc(home, name, "serve", "--workers", "1", "--port", str(self.port), **env)

    def wait_ready(self) -> None:
        def healthy() -> bool:
            self.proc.check_alive()
            try:
                return requests.get(f"{self.url}/healthz", timeout=2).ok
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=60, what=f"{self.proc.name} to answer /healthz")


class Console:
    """An open office console: polls /console/live on one server with the last version."""

    def __init__(self, node: Node, session: str) -> None:
        self.node = node
        self.http = requests.Session()
        self.http.headers["Cookie"] = f"sessionid={session}"
        self.version: str | None = None
        self.intake: list[str] = []

    def poll(self) -> int:
        params = {"since": self.version} if self.version else {}
        answer = self.http.get(f"{self.node.url}/console/live", params=params, timeout=10)
        assert answer.status_code in (200, 204), answer.text[:500]
        if answer.status_code == 200:
            body = answer.json()
            self.version = body["version"]
            self.intake = [i["incident_id"] for i in body["intake"]]
        return answer.status_code

    def until(self, what: str, predicate: Any, timeout: float = 10) -> float:
        """Poll once a second (as the page does) until predicate(); seconds it took."""
        started = time.monotonic()
        while True:
            self.poll()
            if predicate():
                return time.monotonic() - started
            assert time.monotonic() - started < timeout, f"the console never saw {what}"
            time.sleep(0.25)


def dispatch(node: Node, token: str, incident_id: str) -> None:
    answer = requests.post(
        f"{node.url}/api/v1/incidents/{incident_id}/dispatch",
        json={
            "incident_class": "source_diversion",
            "level": 1,
            "category": "noise",
            "primary_unit": "ecology",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:500]


def test_two_servers_and_two_workers_send_nothing_twice_lose_nothing_and_stay_live(
    scratch_url: str, tmp_path: Path, processes: list[Proc]
) -> None:
    env = {
        "LIANDONG_DATABASE_URL": scratch_url,
        "LIANDONG_WORKER_INTERVAL": "0.5",
        "LIANDONG_REQUIRE_SECOND_FACTOR": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        os.environ.pop(proxy, None)
    run_command(tmp_path, "migrate", "--verbosity", "0", timeout=300, **env)
    run_command(tmp_path, "load_defaults", "--verbosity", "0", timeout=120, **env)
    city = ReportReceiver(expected_peer_id=DEMO_DISTRICT_PEER, secrets=[DEMO_DISTRICT_SECRET])
    city.start()
    robot = FakeHttpServer().start()
    try:
        params = {"reports_url": city.url, "robot_url": robot.url("/cgi-bin/webhook/send?key=K")}
        made = shell(tmp_path, env, f"PARAMS = {json.dumps(params)!r}\n" + SETUP_CODE)
        # A listens through its own URL (as behind a transaction pooler), B through Django's.
        live_env = {**env, "LIANDONG_LIVE_DATABASE_URL": scratch_url}
        nodes = [Node(tmp_path, live_env, "serve-a"), Node(tmp_path, env, "serve-b")]
        processes.extend(n.proc for n in nodes)
        for n in nodes:
            n.wait_ready()
        a, b = nodes
        console = Console(a, made["session"])
        console.until("a version (the listener connected)", lambda: console.version)
        assert console.poll() == 204  # nothing changed: answered without reading

        # --- a change through B reaches the console polling A ---------------------------------
        first = f"TOPO-B-{time.time_ns() % 10**9}"
        assert city_post(b.url, incident_body(first)).status_code == 201
        seen = console.until(f"{first} sent to B", lambda: first in console.intake)
        assert seen < 5

        # --- the city sends to both servers at once, while the workers run ---------------------
        for name in ("worker-1", "worker-2"):
            processes.append(Proc(tmp_path, name, "worker", **env))
        answered: dict[str, int] = {}
        lock = threading.Lock()

        def send(node: Node, incident_id: str) -> None:
            status = city_post(node.url, incident_body(incident_id)).status_code
            with lock:
                answered[incident_id] = status

        ids = {n.url: [f"TOPO-{i}-{k:03d}" for k in range(PER_SERVER)] for i, n in enumerate(nodes)}
        threads = [
            threading.Thread(target=send, args=(n, incident_id))
            for n in nodes
            for incident_id in ids[n.url]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert Counter(answered.values()) == {201: 2 * PER_SERVER}, answered
        everyone = [first, *answered]
        console.until("every incident", lambda: set(everyone) <= set(console.intake))

        # --- the office dispatches through either server --------------------------------------
        chosen = [ids[a.url][k] for k in range(DISPATCHED // 2)] + [
            ids[b.url][k] for k in range(DISPATCHED // 2)
        ]
        for k, incident_id in enumerate(chosen):
            dispatch(nodes[k % 2], made["token"], incident_id)
        dispatch(b, made["token"], first)
        chosen.append(first)
        console.until(
            "the dispatched ones leave the queue", lambda: not set(chosen) & set(console.intake)
        )

        # --- the workers deliver everything once ----------------------------------------------
        def drained() -> bool:
            for proc in processes:
                proc.check_alive()
            waiting = sql(
                scratch_url,
                "SELECT (SELECT COUNT(*) FROM citylink_cityreport WHERE state <> 'delivered')"
                " + (SELECT COUNT(*) FROM notifications_delivery WHERE state <> 'delivered')",
            )[0][0]
            return waiting == 0

        wait_until(drained, timeout=90, interval=0.5, what="the reports and deliveries to drain")
        time.sleep(3)  # a double send would come now: the workers keep running

        reports = sql(scratch_url, "SELECT report_id, attempts FROM citylink_cityreport")
        assert reports and city.stats.received == len(reports)
        assert city.stats.duplicates == 0 and city.stats.clean, city.stats
        assert sorted(r["report_id"] for r in city.stats.reports) == sorted(r[0] for r in reports)
        deliveries = sql(scratch_url, "SELECT id, channel FROM notifications_delivery")
        assert Counter(channel for _, channel in deliveries) == {"wecom": len(chosen)}
        assert len(robot.requests) == len(deliveries)
        assert all(r.json()["msgtype"] == "text" for r in robot.requests)

        # --- nothing lost ---------------------------------------------------------------------
        stored = dict(
            sql(
                scratch_url,
                "SELECT incident_id, COUNT(*) FROM incidents_incident GROUP BY incident_id",
            )
        )
        assert stored == dict.fromkeys(everyone, 1)
        kinds = Counter(
            dict(
                sql(
                    scratch_url,
                    "SELECT kind, COUNT(*) FROM incidents_event GROUP BY kind",
                )
            )
        )
        assert kinds["received"] == len(everyone)
        assert kinds["dispatched"] == len(chosen)
        assert console.poll() in (200, 204)
        assert sorted(console.intake) == sorted(set(everyone) - set(chosen))
    finally:
        city.stop()
        robot.stop()

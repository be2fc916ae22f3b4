"""Process faults against the real processes: `liandong serve` and `liandong worker` are killed with
SIGKILL (no shut-down code runs) on their own SQLite file, and the city's promises must still hold:

- a 201 means the incident is durable: it is there after a restart, and a retry is answered 200;
- a worker killed in the middle of a delivery loses nothing: the report is sent again, with the
  same report_id, and every report arrives in sequence order without gaps;
- while the city is down reports wait (with back-off), then all arrive in order.

These tests do not use the test database: each one gets a temp LIANDONG_HOME (a copy of a migrated
installation made once per module) and the processes run without LIANDONG_DATABASE_URL."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from liandong.citylink import signing
from liandong.citylink.simulator import ReportReceiver
from liandong.demo import (
    DEMO_CITY_PEER,
    DEMO_CITY_SECRET,
    DEMO_DISTRICT_PEER,
    DEMO_DISTRICT_SECRET,
)
from tests.citylink.procs import (
    Proc,
    Server,
    Worker,
    copy_database,
    query,
    run_command,
    shell_json,
    wait_until,
)

BEIJING = ZoneInfo("Asia/Shanghai")

# The demo dispatcher "diaodu", a duty officer of the ecology bureau, and the demo city peer with
# its known keys. (Users without passwords: create_demo_accounts hashes 18 passwords, ~10 s.)
SETUP_CODE = """
import json
from liandong.accounts.models import Role, User
from liandong.demo import configure_demo_city
from liandong.units.models import Unit
User.objects.create(username='diaodu', first_name='王调度', role=Role.DISPATCHER)
User.objects.create(
    username='pf-ecology-duty', first_name='生态值班员', role=Role.DUTY_OFFICER,
    unit=Unit.objects.get(code='ecology'),
)
configure_demo_city('http://127.0.0.1:9')
print('RESULT ' + json.dumps('ok'))
"""

# Receives city incidents through the real action, then takes each through PARAMS['steps'] as the
# dispatcher and the ecology bureau's duty officer would; prints every report of those incidents.
MAKE_INCIDENTS_CODE = """
import json
from datetime import timedelta
from liandong import clock
from liandong.accounts.models import User
from liandong.citylink import contract
from liandong.citylink.models import CityReport
from liandong.demo import configure_demo_city
from liandong.incidents import actions
from liandong.units.models import Category, Unit

params = json.loads(PARAMS)
configure_demo_city(params['reports_url'])
dispatcher = User.objects.get(username='diaodu')
ecology = Unit.objects.get(code='ecology')
officer = User.objects.get(username='pf-ecology-duty')
for incident_id in params['incident_ids']:
    now = clock.now()
    payload = {
        'incident_id': incident_id,
        'received_at': (now - timedelta(minutes=3)).isoformat(timespec='seconds'),
        'transferred_at': (now - timedelta(minutes=1)).isoformat(timespec='seconds'),
        'caller_phone': '13998765432',
        'address': '于洪区北陵街道黄河北大街工地',
        'content': '夜间23点后工地仍在施工打桩，噪声很大，无法休息。',
        'police_dispatched': False,
    }
    cleaned, errors = contract.validate_incident(payload, now)
    assert cleaned is not None, errors
    incident, created = actions.do_receive_city_incident(
        **{k: getattr(cleaned, k) for k in cleaned.__dataclass_fields__},
        raw_request=payload,
        raw_body=json.dumps(payload, ensure_ascii=False),
        content_hash=contract.content_hash(payload),
    )
    assert created
    instruction = None
    for step in params['steps']:
        if step == 'dispatch':
            instruction = actions.do_dispatch_incident(
                actor=dispatcher,
                incident=incident,
                incident_class='source_diversion',
                level=2,
                category=Category.objects.get(code='noise'),
                primary_unit=ecology,
            )[0]
        elif step == 'sign':
            actions.do_sign_instruction(actor=officer, instruction=instruction)
        elif step == 'contact':
            actions.do_record_caller_contact(actor=officer, instruction=instruction, reached=True)
        elif step == 'feedback':
            actions.do_give_feedback(actor=officer, instruction=instruction, text='已到现场核实')
        else:
            raise ValueError(step)
reports = [
    {'incident_id': r.incident.incident_id, 'sequence': r.sequence, 'report_id': r.report_id,
     'type': r.type, 'state': r.state}
    for r in CityReport.objects.filter(incident__incident_id__in=params['incident_ids'])
    .select_related('incident').order_by('incident__incident_id', 'sequence')
]
print('RESULT ' + json.dumps(reports))
"""

REPORTS_SQL = """
SELECT i.incident_id, r.sequence, r.report_id, r.type, r.state, r.attempts, r.last_status,
       r.lease_until, r.delivered_at, r.id
FROM citylink_cityreport r JOIN incidents_incident i ON i.id = r.incident_id
WHERE i.incident_id LIKE ? ORDER BY i.incident_id, r.sequence
"""


# --- set-up -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated installation with default data, demo accounts and the demo city peer (made
    once; each test works on its own copy)."""
    home = tmp_path_factory.mktemp("liandong-template")
    run_command(home, "migrate", "--verbosity", "0", timeout=120)
    run_command(home, "load_defaults", "--verbosity", "0", timeout=60)
    assert shell_json(home, SETUP_CODE) == "ok"
    return home


@pytest.fixture
def home(template_home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    copy_database(template_home, target)
    return target


@pytest.fixture
def processes() -> Iterator[list[Proc]]:
    """Every process a test starts is registered here and SIGKILLed at the end, whatever
    happened."""
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


@pytest.fixture
def receivers() -> Iterator[list[ReportReceiver]]:
    started: list[ReportReceiver] = []
    yield started
    for rec in started:
        rec.stop()


def new_incident_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def incident_body(incident_id: str) -> bytes:
    now = datetime.now(tz=BEIJING)
    payload: dict[str, Any] = {
        "incident_id": incident_id,
        "received_at": (now - timedelta(minutes=3)).isoformat(timespec="seconds"),
        "transferred_at": (now - timedelta(minutes=1)).isoformat(timespec="seconds"),
        "caller_name": "张先生",
        "caller_phone": "13840012345",
        "address": "于洪区陵西街道怒江北街188号院内",
        "longitude": 123.31,
        "latitude": 41.84,
        "content": "小区楼道内供热管线漏水，热水流到一楼，地面积水，老人出行困难。",
        "city_category": "求助",
        "police_dispatched": False,
        "urgency": "normal",
        "repeat_calls": 0,
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def city_post(base_url: str, body: bytes) -> requests.Response:
    headers = signing.signed_headers(DEMO_CITY_PEER, DEMO_CITY_SECRET, body, time.time())
    return requests.post(
        f"{base_url}/api/city/v1/incidents", data=body, headers=headers, timeout=15
    )


def city_get(base_url: str, incident_id: str) -> requests.Response:
    headers = signing.signed_headers(DEMO_CITY_PEER, DEMO_CITY_SECRET, b"", time.time())
    return requests.get(
        f"{base_url}/api/city/v1/incidents/{incident_id}", headers=headers, timeout=15
    )


def make_incidents(
    home: Path, reports_url: str, incident_ids: list[str], steps: list[str]
) -> list[dict[str, Any]]:
    """Point the peer's reports at `reports_url`, receive and advance the incidents in a
    `liandong shell` process; returns their reports as stored."""
    params = {"reports_url": reports_url, "incident_ids": incident_ids, "steps": steps}
    return list(shell_json(home, f"PARAMS = {json.dumps(params)!r}\n" + MAKE_INCIDENTS_CODE))


def start_server(home: Path, processes: list[Proc], name: str) -> Server:
    server = Server(home, name=name)
    processes.append(server)
    server.wait_ready()
    return server


def start_worker(home: Path, processes: list[Proc], name: str, **env: str) -> Worker:
    worker = Worker(home, name=name, **env)
    processes.append(worker)
    return worker


# --- 1. the district is killed right after answering 201 ---------------------------------------


SEQUENTIAL_ROUNDS = 3
PER_ROUND = 5


def test_incident_answered_201_survives_sigkill_of_the_server(
    home: Path, processes: list[Proc]
) -> None:
    prefix = new_incident_id("PFK")[:10]
    bodies: dict[str, bytes] = {}
    answered_201: list[str] = []

    # Rounds of incidents sent back-to-back; the server is SIGKILLed the moment the last 201 is in.
    for round_no in range(SEQUENTIAL_ROUNDS):
        server = start_server(home, processes, f"serve-{round_no}")
        for n in range(PER_ROUND):
            incident_id = f"{prefix}-{round_no}-{n}"
            bodies[incident_id] = incident_body(incident_id)
            response = city_post(server.url, bodies[incident_id])
            if n == PER_ROUND - 1:
                server.kill()
            assert response.status_code == 201, response.text
            assert response.json()["incident_id"] == incident_id
            assert response.json()["status"] == "accepted"
            answered_201.append(incident_id)
        assert not server.alive()

    # A burst sent concurrently; the server is SIGKILLed the moment the first 201 arrives, so the
    # others are in flight: whatever was answered 201 must be kept, the rest may or may not be.
    server = start_server(home, processes, "serve-burst")
    burst = [f"{prefix}-burst-{n}" for n in range(PER_ROUND)]
    burst_status: dict[str, int | None] = {}
    killed = threading.Lock()

    def send(incident_id: str) -> None:
        bodies[incident_id] = incident_body(incident_id)
        try:
            status: int | None = city_post(server.url, bodies[incident_id]).status_code
        except requests.RequestException:
            status = None
        if status == 201 and killed.acquire(blocking=False):
            server.kill()
        burst_status[incident_id] = status

    threads = [threading.Thread(target=send, args=(i,)) for i in burst]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    server.kill()
    assert 201 in burst_status.values(), burst_status
    answered_201 += [i for i in burst if burst_status[i] == 201]

    # Restart: everything answered 201 is there; a retry is a 200 and creates nothing.
    server = start_server(home, processes, "serve-after")
    for incident_id in answered_201:
        got = city_get(server.url, incident_id)
        assert got.status_code == 200, (incident_id, got.text)
        assert got.json()["incident_id"] == incident_id
        assert got.json()["status"] == "new"
        retry = city_post(server.url, bodies[incident_id])
        assert retry.status_code == 200, (incident_id, retry.status_code, retry.text)
        assert retry.json()["incident_id"] == incident_id
        assert retry.json()["status"] == "accepted"
    # The burst's unanswered ones: the retry either finds the stored incident (200) or stores it.
    for incident_id in burst:
        if burst_status[incident_id] != 201:
            retry = city_post(server.url, bodies[incident_id])
            assert retry.status_code in (200, 201), (incident_id, retry.text)

    rows = query(
        home,
        "SELECT incident_id, COUNT(*) AS n FROM incidents_incident WHERE incident_id LIKE ? "
        "GROUP BY incident_id",
        (prefix + "%",),
    )
    counts = {row["incident_id"]: row["n"] for row in rows}
    assert counts == dict.fromkeys(bodies, 1)


# --- 2. the worker is killed in the middle of a delivery ---------------------------------------


def test_worker_killed_mid_delivery_loses_nothing(
    home: Path, processes: list[Proc], receivers: list[ReportReceiver]
) -> None:
    arrived = threading.Event()
    release = threading.Event()
    requests_seen: list[dict[str, Any]] = []

    def respond(report: dict[str, Any]) -> int:
        requests_seen.append(report)
        if len(requests_seen) == 1:
            arrived.set()
            release.wait(20)
            # The sender is dead by now: this request is answered with an error and not recorded.
            return 503
        return 200

    receiver = ReportReceiver(
        expected_peer_id=DEMO_DISTRICT_PEER, secrets=[DEMO_DISTRICT_SECRET], respond=respond
    ).start()
    receivers.append(receiver)
    incident_id = new_incident_id("PFW")
    made = make_incidents(home, receiver.url, [incident_id], ["dispatch", "sign"])
    assert [(r["sequence"], r["type"], r["state"]) for r in made] == [
        (1, "dispatched", "pending"),
        (2, "signed", "pending"),
    ]
    stored_ids = [r["report_id"] for r in made]

    env = {"LIANDONG_WORKER_INTERVAL": "0.5", "LIANDONG_REPORT_LEASE": "3"}
    first = start_worker(home, processes, "worker-1", **env)
    wait_until(arrived.is_set, timeout=20, what="the first delivery", watch=[first])
    # The worker holds the report's lease and is waiting for the city's answer: kill it now.
    in_flight = query(home, REPORTS_SQL, (incident_id,))
    assert in_flight[0]["state"] == "pending" and in_flight[0]["lease_until"] is not None
    first.kill()
    release.set()

    second = start_worker(home, processes, "worker-2", **env)
    wait_until(
        lambda: receiver.stats.received >= 2,
        timeout=25,
        watch=[second],
        what="both reports at the city",
    )

    def all_delivered() -> list[Any]:
        rows = query(home, REPORTS_SQL, (incident_id,))
        return rows if all(r["state"] == "delivered" for r in rows) else []

    rows = wait_until(all_delivered, timeout=10, what="the database to show both delivered")
    second.kill()

    stats = receiver.stats
    assert stats.clean, (stats.gaps, stats.out_of_order, stats.bad_signatures)
    assert [r["sequence"] for r in stats.reports] == [1, 2]
    assert [r["type"] for r in stats.reports] == ["dispatched", "signed"]
    assert [r["report_id"] for r in stats.reports] == stored_ids
    # The interrupted report was sent again under the same report_id (a repeat the city may see).
    assert requests_seen[0]["report_id"] == stored_ids[0]
    assert requests_seen[1]["report_id"] == stored_ids[0]
    assert [r["report_id"] for r in rows] == stored_ids
    assert all(r["delivered_at"] is not None and r["last_status"] == 200 for r in rows)
    assert stats.received == 2 and stats.duplicates == 0


# --- 3. the city is down for a while ------------------------------------------------------------


INCIDENTS_WHILE_DOWN = 3
STEPS = ["dispatch", "sign", "contact", "feedback"]
REPORT_TYPES = ["dispatched", "signed", "caller_contacted", "feedback"]


def test_reports_wait_while_the_city_is_down_then_arrive_in_order(
    home: Path, processes: list[Proc], receivers: list[ReportReceiver]
) -> None:
    city_up = threading.Event()
    # Every request the city gets, answered or refused: (monotonic time, incident, sequence, status)
    log: list[tuple[float, str, int, int]] = []

    def respond(report: dict[str, Any]) -> int:
        status = 200 if city_up.is_set() else 503
        log.append((time.monotonic(), report["incident_id"], report["sequence"], status))
        return status

    receiver = ReportReceiver(
        expected_peer_id=DEMO_DISTRICT_PEER, secrets=[DEMO_DISTRICT_SECRET], respond=respond
    ).start()
    receivers.append(receiver)
    prefix = new_incident_id("PFD")[:10]
    incident_ids = [f"{prefix}-{n}" for n in range(INCIDENTS_WHILE_DOWN)]

    # The worker is running (short interval) while the steps are taken and the city is down.
    worker = start_worker(home, processes, "worker", LIANDONG_WORKER_INTERVAL="0.3")
    made = make_incidents(home, receiver.url, incident_ids, STEPS)
    assert len(made) == INCIDENTS_WHILE_DOWN * len(STEPS)
    for incident_id in incident_ids:
        assert [r["type"] for r in made if r["incident_id"] == incident_id] == REPORT_TYPES

    # Down until every incident's first report has been refused, and for at least 2 s.
    def refused_everyone() -> bool:
        refused = {i for _, i, _, status in list(log) if status == 503}
        return refused == set(incident_ids)

    wait_until(
        refused_everyone, timeout=20, what="the worker to try every incident", watch=[worker]
    )
    first_refusal = min(t for t, *_ in log)
    wait_until(lambda: time.monotonic() - first_refusal >= 2.0, timeout=5)
    city_up.set()

    total = INCIDENTS_WHILE_DOWN * len(STEPS)
    wait_until(
        lambda: receiver.stats.received >= total,
        timeout=25,
        watch=[worker],
        what=f"all {total} reports at the city",
    )

    def none_pending() -> list[Any]:
        rows = query(home, REPORTS_SQL, (prefix + "%",))
        return rows if all(r["state"] == "delivered" for r in rows) else []

    rows = wait_until(none_pending, timeout=10, what="the database to show every report delivered")
    worker.kill()

    stats = receiver.stats
    assert stats.clean, (stats.gaps, stats.out_of_order, stats.bad_signatures)
    assert stats.received == total and stats.duplicates == 0
    by_incident: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for report in stats.reports:
        by_incident[report["incident_id"]].append(report)
    for incident_id in incident_ids:
        assert [r["sequence"] for r in by_incident[incident_id]] == [1, 2, 3, 4]
        assert [r["type"] for r in by_incident[incident_id]] == REPORT_TYPES
    assert {r["report_id"] for r in stats.reports} == {r["report_id"] for r in made}

    # Strict order even while refused: report n+1 was never sent before report n got its 2xx.
    acknowledged: dict[str, int] = defaultdict(int)
    for _, incident_id, sequence, status in log:
        assert sequence == acknowledged[incident_id] + 1, (incident_id, sequence, log)
        if status == 200:
            acknowledged[incident_id] = sequence
    # Back-off, not hammering: tries of the same report are seconds apart.
    tries: dict[tuple[str, int], list[float]] = defaultdict(list)
    for at, incident_id, sequence, _ in log:
        tries[(incident_id, sequence)].append(at)
    for key, times in tries.items():
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= 4.0 for gap in gaps), (key, gaps)

    assert len(rows) == total
    assert all(r["last_status"] == 200 and r["delivered_at"] is not None for r in rows)
    refused_first = [r for r in rows if r["sequence"] == 1]
    assert all(r["attempts"] >= 2 for r in refused_first)
    attempts_503 = query(
        home,
        "SELECT COUNT(*) AS n FROM citylink_reportattempt a "
        "JOIN citylink_cityreport r ON r.id = a.report_id "
        "JOIN incidents_incident i ON i.id = r.incident_id "
        "WHERE i.incident_id LIKE ? AND a.status_code = 503",
        (prefix + "%",),
    )[0]["n"]
    assert attempts_503 >= INCIDENTS_WHILE_DOWN

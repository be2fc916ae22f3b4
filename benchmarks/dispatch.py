"""Benchmark: the office dispatching at a sustained rate, p99 from its request to the unit's
instruction and notification being visible, against the one-row floor on the same stack.

    .venv/bin/python benchmarks/dispatch.py [--rate 100] [--seconds 20] [--senders 16]

Builds a fresh PostgreSQL database (liandong_bench_dispatch, or LIANDONG_BENCH_DATABASE_URL),
migrates it, loads the defaults, creates a dispatcher with an API token and `rate × seconds`
waiting incidents (the product's manual-entry action). Then, one after the other:

- the floor: benchmarks/intake_floor/ (a minimal Django view committing one ~1 KB row) under
  gunicorn with exactly the options of `liandong serve`, driven at the same rate;
- the dispatch: the real `liandong serve` (production keys) and `liandong worker` running, the
  office posting `POST /api/v1/incidents/{id}/dispatch` (linked disposal: a primary and two
  cooperating units) with its API token, as its own tools do, at `--rate` per second.

The load is open-loop: request k is due at start + k/rate whatever happened before, and its
latency runs from when it was due (a slow answer delays the next ones and is counted, no
coordinated omission). The action writes the instructions, their clocks and the units'
notifications in one transaction that commits before the answer, so when the office has its
answer the unit's inbox, bell and list already show it; the benchmark checks afterwards that every
answered dispatch has its instructions and notifications, and samples the unit's view during the
run (a unit duty officer polling /api/v1/instructions) to measure the same from the unit's side.
Each dispatch's triage record is written by the worker afterwards (ADR 23): the benchmark waits for
all of them before stopping the worker and reports how long after the run the last one came.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from intake import cpu_seconds, free_port, rss_kib, wait_for
from pg_database import fresh_database

HERE = Path(__file__).resolve().parent
LIANDONG = str(Path(sys.executable).with_name("liandong"))
BODY = {
    "incident_class": "linked_disposal",
    "level": 2,
    "category": "heating-leak",
    "primary_unit": "housing",
    "cooperating_units": ["urban-constr", "city-mgmt"],
}


def prepare(count: int) -> tuple[list[str], str, str]:
    """Waiting incidents, the dispatcher's and a unit duty officer's API tokens; the floor's table."""
    from django.db import connection

    from liandong.accounts.models import Role, User
    from liandong.accounts.services import do_issue_api_token
    from liandong.incidents import actions
    from liandong.units.models import Unit

    office = User.objects.create(username="bench-dispatcher", role=Role.DISPATCHER)
    duty = User.objects.create(
        username="bench-housing", role=Role.DUTY_OFFICER, unit=Unit.objects.get(code="housing")
    )
    ids = [
        actions.do_create_manual_incident(
            actor=office,
            caller_phone="13840012345",
            address="于洪区陵西街道怒江北街188号3单元",
            content=f"楼道暖气管道漏水，热水外流（压测{n}）。",
        ).incident_id
        for n in range(count)
    ]
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE intake_floor_row (id bigserial PRIMARY KEY, key varchar(64) UNIQUE"
            " NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)"
        )
    office_token = do_issue_api_token(user=office, name="压测")[1]
    unit_token = do_issue_api_token(user=duty, name="压测")[1]
    connection.close()
    return ids, office_token, unit_token


def drive(
    port: int, requests: list[tuple[str, bytes]], token: str, rate: float, senders: int
) -> dict[str, Any]:
    """Send `requests` (path, body) open-loop at `rate`/s from `senders` kept-alive connections."""
    due: queue.Queue[tuple[float, str, bytes] | None] = queue.Queue()
    latencies: list[float] = []
    answered: dict[str, float] = {}
    errors: list[str] = []
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (item := due.get()) is not None:
            at, path, body = item
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, exc_text = 0, type(exc).__name__
            done = time.monotonic()
            with lock:
                if status in (200, 201):
                    latencies.append(done - at)
                    answered[path] = done
                else:
                    errors.append(str(status or exc_text))
        conn.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    start = time.monotonic() + 0.2
    for k, (path, body) in enumerate(requests):
        at = start + k / rate
        pause = at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        due.put((at, path, body))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
        )

    return {
        "sent": len(requests),
        "ok": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000 if latencies else 0,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
    }


def unit_view(
    port: int, token: str, stop: threading.Event, seen: dict[str, float], polls: list[int]
) -> None:
    """The unit's side: a duty officer's tool polling its newest instructions every 20 ms,
    noting when each incident first appears (and counting its polls: the faster the answers,
    the more polls, each a page of twenty instructions, on the same cores)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        try:
            conn.request("GET", "/api/v1/instructions?open_only=true&limit=20", headers=headers)
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        now = time.monotonic()
        polls[0] += 1
        for item in data.get("items", []):
            seen.setdefault(item.get("incident_id", ""), now)
        stop.wait(0.02)
    conn.close()


def start(command: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    log = open(f"/tmp/liandong-bench-dispatch-{name}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()


def check_rows(ids: list[str]) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM incidents_instruction i JOIN incidents_incident n"
            " ON n.id = i.incident_id WHERE n.incident_id = ANY(%s)",
            [ids],
        )
        instructions = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM incidents_notification WHERE kind = 'dispatched'"
            " AND incident_id IN (SELECT id FROM incidents_incident WHERE incident_id = ANY(%s))",
            [ids],
        )
        notifications = cur.fetchone()[0]
    return f"instructions {instructions}, notifications {notifications} (expected {3 * len(ids)})"


def triage_records_written(ids: list[str], timeout: float) -> tuple[int, float]:
    """The worker writes each dispatch's triage record after the answer (ADR 23): how many of
    `ids` have theirs, waiting up to `timeout` seconds for all, and how long that took."""
    from django.db import connection

    began = time.monotonic()
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM triage_triagerecord r JOIN incidents_incident n"
                " ON n.id = r.incident_id WHERE n.incident_id = ANY(%s)",
                [ids],
            )
            written = cur.fetchone()[0]
        waited = time.monotonic() - began
        if written >= len(ids) or waited > timeout:
            return written, waited
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0, help="dispatches per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--senders", type=int, default=16, help="office connections")
    parser.add_argument("--workers", type=int, default=None, help="default: serve's (cores)")
    args = parser.parse_args()
    os.environ["LIANDONG_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["LIANDONG_SECRETS_KEY"] = secrets.token_urlsafe(32)
    url = fresh_database("liandong_bench_dispatch")
    count = int(args.rate * args.seconds)
    warm = 50
    print(f"preparing {count + warm} waiting incidents …", flush=True)
    ids, office_token, unit_token = prepare(count + warm)

    from liandong import serving

    workers = args.workers or serving.usable_cores()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANDONG_", "DJANGO_"))}
    env.update(
        LIANDONG_DATABASE_URL=url,
        LIANDONG_HOME=f"/tmp/liandong-bench-dispatch-home-{os.getpid()}",
        LIANDONG_SECRET_KEY=os.environ["LIANDONG_SECRET_KEY"],
        LIANDONG_SECRETS_KEY=os.environ["LIANDONG_SECRETS_KEY"],
        LIANDONG_LOG_LEVEL="WARNING",
    )

    # the floor: the same rate of one-row commits on the same server stack
    floor_port = free_port()
    floor_proc = start(
        [
            sys.executable,
            str(HERE / "intake_floor" / "serve.py"),
            str(floor_port),
            str(workers),
            "4",
        ],
        env,
        "floor",
    )
    try:
        wait_for(floor_port, floor_proc)
        body = json.dumps({"incident_id": "", "content": "x" * 900})

        def floor_requests(prefix: str, n: int) -> list[tuple[str, bytes]]:
            return [
                (
                    "/api/city/v1/incidents",
                    body.replace('"incident_id": ""', f'"incident_id": "{prefix}{k}"').encode(),
                )
                for k in range(n)
            ]

        drive(floor_port, floor_requests("w", warm), "", args.rate, args.senders)
        floor = drive(floor_port, floor_requests("f", count), "", args.rate, args.senders)
    finally:
        stop(floor_proc)

    port = free_port()
    server = start(
        [LIANDONG, "serve", "--port", str(port)]
        + (["--workers", str(args.workers)] if args.workers else []),
        env,
        "serve",
    )
    worker = start([LIANDONG, "worker"], env, "worker")
    seen: dict[str, float] = {}
    polls = [0]
    try:
        wait_for(port, server)
        requests = [(f"/api/v1/incidents/{i}/dispatch", json.dumps(BODY).encode()) for i in ids]
        drive(port, requests[:warm], office_token, args.rate, args.senders)
        at_rest = rss_kib(server.pid)
        done = threading.Event()
        poller = threading.Thread(target=unit_view, args=(port, unit_token, done, seen, polls))
        poller.start()
        sent_at = time.monotonic()
        cpu_before = cpu_seconds(server.pid), cpu_seconds(None, [worker.pid])
        result = drive(port, requests[warm:], office_token, args.rate, args.senders)
        cpu_after = cpu_seconds(server.pid), cpu_seconds(None, [worker.pid])
        run_seconds = time.monotonic() - sent_at
        under_load = rss_kib(server.pid)
        time.sleep(0.3)
        done.set()
        poller.join()
        records = triage_records_written(ids[warm:], timeout=120.0)
    finally:
        stop(server)
        stop(worker)

    # the unit's side: when each incident first showed in the unit's list, from when it was due
    start_at = sent_at + 0.2
    unit_lat = sorted(
        (seen[i] - (start_at + k / args.rate)) * 1000 for k, i in enumerate(ids[warm:]) if i in seen
    )
    unit_p99 = unit_lat[min(len(unit_lat) - 1, int(0.99 * len(unit_lat)))] if unit_lat else 0.0

    print(
        f"\n{args.rate:.0f} requests/s for {args.seconds:.0f} s, open loop, {args.senders} "
        f"connections; gunicorn {workers} workers x 4 threads, `liandong worker` running"
    )
    print(f"{'':<40}{'done/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for label, r in (("floor (one-row view)", floor), ("dispatch (office API, 3 units)", result)):
        print(
            f"{label:<40}{r['per_s']:>8.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['max']:>9.1f}"
            f"{r['errors']:>8}" + (f"  {r['error_kinds']}" if r["errors"] else "")
        )
    print(
        f"unit's view (polling every 20 ms, {len(unit_lat)} of {count} seen): p99 {unit_p99:.1f} ms;"
        f" {polls[0]} polls ({polls[0] / run_seconds:.0f}/s)"
    )
    server_cpu, worker_cpu = (
        after - before for after, before in zip(cpu_after, cpu_before, strict=True)
    )
    print(
        f"CPU during the run: server {server_cpu / run_seconds:.2f} cores"
        f" ({server_cpu * 1000 / max(result['ok'], 1):.1f} ms per dispatch, the polls included),"
        f" worker {worker_cpu / run_seconds:.2f} cores"
    )
    print(f"ratio dispatch p99 / floor p99: {result['p99'] / max(floor['p99'], 0.001):.1f}")
    print(f"server RSS at rest {at_rest / 1024:.0f} MB, under load {under_load / 1024:.0f} MB")
    print("stored:", check_rows(ids[warm:]))
    print(
        f"triage records written by the worker: {records[0]} of {count},"
        f" the last {records[1]:.1f} s after the run"
    )
    met = result["p99"] < 200 and not result["errors"] and result["ok"] == count
    print("target (p99 < 200 ms at the rate, no errors):", "met" if met else "NOT met")
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())

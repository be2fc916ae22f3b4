"""Benchmark: the signed city intake (POST /api/city/v1/incidents) against its floor.

    .venv/bin/python benchmarks/intake.py [--seconds 15] [--clients 4] [--threads 2]
        [--workers N] [--server-threads 4]

Builds a fresh PostgreSQL database (liandong_bench_intake, or LIANDONG_BENCH_DATABASE_URL), migrates
it, loads the defaults and creates a city peer with an inbound key (the product's action). Then, one
after the other, for `--seconds` each:

- the floor: a minimal Django view committing one ~1 KB row (benchmarks/intake_floor/), under
  gunicorn with exactly the options of `liandong serve` (same worker class, workers and threads);
- the intake: the real `liandong serve` command, as shipped (production keys set), answering
  signed hand-overs exactly as the city sends them (each a new incident), with `liandong worker`
  running beside it, recording each hand-over's receipt (its event, audit entry and the office's
  notification: ADR 26) on the same cores; its CPU counts, and the run waits for the last receipt.

The load generator runs on the same machine: `--clients` processes of `--threads` threads, each
thread one kept-alive http.client connection sending the next request as soon as the last is
answered. It prints requests/s, p50, p99, errors, the ratio intake/floor, the resident memory of
the server processes (arbiter + workers) at rest and under load, and checks that every answered
intake is in the database (with its event, audit entry and notification, once the worker caught up).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pg_database import fresh_database

HERE = Path(__file__).resolve().parent
LIANDONG = str(Path(sys.executable).with_name("liandong"))
PEER_ID = "bench-city"
SECRET = "bench-city-secret-" + "0123456789abcdef"
PATH = "/api/city/v1/incidents"

#: A hand-over as the city sends it (~1 KB with the raw body); `incident_id` is filled per request.
TEMPLATE = {
    "incident_id": "",
    "received_at": "",
    "transferred_at": "",
    "caller_name": "张先生",
    "caller_phone": "13840012345",
    "address": "于洪区陵西街道怒江北街188号3单元",
    "longitude": 123.31,
    "latitude": 41.84,
    "content": "报警人称楼上暖气管道漏水，水已流到楼道，家中老人行动不便，请尽快派人处理。" * 4,
    "city_category": "求助",
    "police_dispatched": False,
    "urgency": "normal",
    "repeat_calls": 0,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the load generator ----------------------------------------------------------------------------


def _client_thread(
    port: int, prefix: str, deadline: float, latencies: list[float], errors: list[str]
) -> None:
    from datetime import datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    now = datetime.now(beijing)
    template = dict(
        TEMPLATE,
        received_at=(now - timedelta(minutes=3)).isoformat(timespec="seconds"),
        transferred_at=(now - timedelta(minutes=1)).isoformat(timespec="seconds"),
        incident_id="@@ID@@",
    )
    skeleton = json.dumps(template, ensure_ascii=False).encode()
    key = SECRET.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while True:
        started = time.perf_counter()
        if time.monotonic() >= deadline:
            break
        n += 1
        body = skeleton.replace(b"@@ID@@", f"{prefix}{n:07d}".encode())
        ts = str(int(time.time()))
        mac = hmac.new(key, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Peer-Id": PEER_ID,
            "X-Timestamp": ts,
            "X-Signature": "sha256=" + mac,
        }
        try:
            conn.request("POST", PATH, body, headers)
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                errors.append(str(response.status))
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()


def _client_process(port: int, name: str, threads: int, seconds: float, out: Any) -> None:
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    workers = [
        threading.Thread(
            target=_client_thread, args=(port, f"{name}{i}-", deadline, latencies, errors)
        )
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.send((latencies, errors, time.process_time()))
    out.close()


def drive(port: int, *, run: str, clients: int, threads: int, seconds: float) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    pipes, procs = [], []
    for c in range(clients):
        mine, theirs = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_client_process, args=(port, f"{run}{c}x", threads, seconds, theirs)
        )
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    began = time.monotonic()
    latencies: list[float] = []
    errors: list[str] = []
    client_cpu = 0.0
    for pipe in pipes:
        got_latencies, got_errors, got_cpu = pipe.recv()
        latencies.extend(got_latencies)
        errors.extend(got_errors)
        client_cpu += got_cpu
    elapsed = time.monotonic() - began
    for proc in procs:
        proc.join()
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(n * p))] * 1000 if n else float("nan")

    return {
        "ok": n - 0,
        "per_s": n / elapsed,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "client_ms": client_cpu * 1000 / max(1, n),
    }


# --- the servers -----------------------------------------------------------------------------------


def server_pids(master: int) -> list[int]:
    pids = [master]
    for task in os.listdir(f"/proc/{master}/task"):
        pids += [int(p) for p in Path(f"/proc/{master}/task/{task}/children").read_text().split()]
    return pids


def database_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the servers keep theirs open)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cur.fetchall()]
    connection.close()
    return pids


def cpu_seconds(master: int | None, pids: list[int] | None = None) -> float:
    """CPU time (user + system) used so far by the arbiter and its workers (or by `pids`)."""
    ticks = 0
    for pid in server_pids(master) if master is not None else pids or []:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(master: int) -> int:
    """Resident memory of the arbiter and its workers, KiB."""
    total = 0
    for pid in server_pids(master):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total


def wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            time.sleep(1.0)  # every worker booted
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer")


def pending_receipts() -> int:
    """City receipts the worker has still to record (ADR 26)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents_incident WHERE receipt_pending IS NOT NULL")
        (count,) = cur.fetchone()
    connection.close()
    return int(count)


def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    args: argparse.Namespace,
    worker_command: list[str] | None = None,
) -> dict[str, Any]:
    log = open(f"/tmp/liandong-bench-intake-{name}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = (
        subprocess.Popen(worker_command, env=env, stdout=log, stderr=subprocess.STDOUT)
        if worker_command
        else None
    )
    try:
        wait_for(port, proc)
        drive(port, run=f"{name[0]}w", clients=args.clients, threads=args.threads, seconds=2)
        at_rest = rss_kib(proc.pid)
        peak = [at_rest]

        def sample() -> None:
            while proc.poll() is None and not done.is_set():
                peak.append(rss_kib(proc.pid))
                done.wait(0.5)

        done = threading.Event()
        sampler = threading.Thread(target=sample)
        sampler.start()
        backends = database_pids()  # local server only: /proc of this machine
        workers = [worker.pid] if worker else []
        cpu_before, db_before = cpu_seconds(proc.pid), cpu_seconds(None, backends)
        worker_before = cpu_seconds(None, workers)
        result = drive(
            port, run=name[0], clients=args.clients, threads=args.threads, seconds=args.seconds
        )
        per = 1000 / max(1, result["ok"])
        result["cpu_ms"] = (cpu_seconds(proc.pid) - cpu_before) * per
        result["worker_ms"], result["caught_up_s"] = 0.0, 0.0
        if worker:
            # The worker records the receipts while the load runs; the rest after it, counted.
            ended = time.monotonic()
            while pending_receipts() and time.monotonic() - ended < 120:
                time.sleep(0.2)
            result["caught_up_s"] = time.monotonic() - ended
            result["pending"] = pending_receipts()
            result["worker_ms"] = (cpu_seconds(None, workers) - worker_before) * per
        result["db_ms"] = (cpu_seconds(None, backends) - db_before) * per
        done.set()
        sampler.join()
        result["rss_rest"] = at_rest / 1024
        result["rss_load"] = max(peak) / 1024
        return result
    finally:
        for running in (proc, worker):
            if running is None:
                continue
            running.send_signal(signal.SIGTERM)
            try:
                running.wait(timeout=40)
            except subprocess.TimeoutExpired:
                running.kill()
        log.close()


def prepare(url: str) -> None:
    """The peer and its inbound key (the product's action), and the floor's table."""
    from django.db import connection

    from liandong.citylink.models import CityPeer, KeyDirection
    from liandong.citylink.peers import do_add_peer_key

    peer = CityPeer.objects.create(peer_id=PEER_ID, district_peer_id="yuhong-district")
    do_add_peer_key(peer=peer, direction=KeyDirection.INBOUND, secret=SECRET, label="压测")
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE intake_floor_row (id bigserial PRIMARY KEY, key varchar(64) UNIQUE"
            " NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)"
        )
    connection.close()


def check_rows(answered: int) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        counts = {}
        for table, where in (
            ("incidents_incident", "source = 'city'"),
            ("incidents_event", "kind = 'received'"),
            ("audit_auditentry", "auth_method = 'city'"),
            ("incidents_notification", "kind = 'new_incident'"),
        ):
            cur.execute(f"SELECT count(*) FROM {table} WHERE {where}")  # noqa: S608
            counts[table] = cur.fetchone()[0]
    return ", ".join(f"{t.split('_', 1)[1]} {n}" for t, n in counts.items())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=4, help="load generator processes")
    parser.add_argument("--threads", type=int, default=2, help="connections per process")
    parser.add_argument("--workers", type=int, default=None, help="default: serve's (cores)")
    parser.add_argument("--server-threads", type=int, default=4, help="default: serve's (4)")
    args = parser.parse_args()
    # Production keys (docs/security-settings.md): `serve` refuses the development ones.
    os.environ["LIANDONG_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["LIANDONG_SECRETS_KEY"] = secrets.token_urlsafe(32)
    url = fresh_database("liandong_bench_intake")
    prepare(url)

    from liandong import serving

    workers = args.workers or serving.usable_cores()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANDONG_", "DJANGO_"))}
    env.update(
        LIANDONG_DATABASE_URL=url,
        LIANDONG_HOME=f"/tmp/liandong-bench-intake-home-{os.getpid()}",
        LIANDONG_SECRET_KEY=os.environ["LIANDONG_SECRET_KEY"],
        LIANDONG_SECRETS_KEY=os.environ["LIANDONG_SECRETS_KEY"],
    )

    floor_port, intake_port = free_port(), free_port()
    floor = measure(
        "floor",
        [
            sys.executable,
            str(HERE / "intake_floor" / "serve.py"),
            str(floor_port),
            str(workers),
            str(args.server_threads),
        ],
        env,
        floor_port,
        args,
    )
    intake = measure(
        "intake",
        [
            LIANDONG,
            "serve",
            "--port",
            str(intake_port),
            *(["--workers", str(args.workers)] if args.workers else []),
            *(["--threads", str(args.server_threads)] if args.server_threads != 4 else []),
        ],
        env,
        intake_port,
        args,
        worker_command=[LIANDONG, "worker"],
    )
    worker_class = "gthread" if args.server_threads > 1 else "sync"
    connections = args.clients * args.threads
    print(
        f"\ngunicorn {worker_class}, {workers} workers x {args.server_threads} threads; load: "
        f"{args.clients} processes x {args.threads} kept-alive connections, {args.seconds:.0f} s each"
    )
    print(
        f"{'':<24}{'req/s':>7}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'CPU ms/req: server':>19}{'worker':>7}{'db':>6}{'client':>7}{'RSS rest':>10}{'load':>7}"
    )
    for label, r in (("floor (one-row view)", floor), ("intake (liandong serve)", intake)):
        print(
            f"{label:<24}{r['per_s']:>7.0f}{r['p50']:>8.1f}{r['p99']:>8.1f}{r['errors']:>7}"
            f"{r['cpu_ms']:>19.2f}{r['worker_ms']:>7.2f}{r['db_ms']:>6.2f}{r['client_ms']:>7.2f}"
            f"{r['rss_rest']:>8.0f}MB{r['rss_load']:>5.0f}MB"
            + (f"  {r['error_kinds']}" if r["errors"] else "")
        )
    ratio = intake["per_s"] / floor["per_s"]
    print(f"ratio intake/floor: {ratio:.2f} ({connections} connections)")
    total = {
        k: r["cpu_ms"] + r["worker_ms"] + r["db_ms"] + r["client_ms"]
        for k, r in (("f", floor), ("i", intake))
    }
    print(
        f"the worker recorded the receipts during the run; the last {intake['caught_up_s']:.1f} s"
        f" after it ({intake['pending']} still pending)"
    )
    print(
        f"CPU per request, server + worker + database + load generator: floor {total['f']:.2f} ms, intake"
        f" {total['i']:.2f} ms; where the cores are the limit the ratio tends to"
        f" {total['f'] / total['i']:.2f}"
    )
    print("stored:", check_rows(intake["ok"]), f"(answered 201: {intake['ok']})")
    met = (
        ratio >= 0.5
        and intake["per_s"] >= 500
        and intake["p99"] < 100
        and not intake["errors"]
        and not intake["pending"]
    )
    print(
        "targets (>= 0.5 of the floor, >= 500/s, p99 < 100 ms, no errors, every receipt recorded):",
        "met" if met else "NOT met",
    )
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())

"""Issue 13, production serving: `liandong serve` runs gunicorn with a process per core (or
--workers), stops cleanly on SIGTERM; /readyz says whether the database answers, the migrations
are applied and a worker finished a round recently; the worker writes that heartbeat."""

from __future__ import annotations

import os
import signal
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from liandong import clock
from liandong.serving import TrustedProxyHeaders
from liandong.web import readiness
from liandong.worker.actions import do_record_heartbeat, this_worker_id
from liandong.worker.loop import run_once
from liandong.worker.models import WorkerHeartbeat
from tests.citylink.procs import Proc, free_port, run_command, wait_until

NOW = "2026-11-30T09:00:00+08:00"


def readyz() -> tuple[int, dict[str, Any]]:
    response = Client().get("/readyz")
    return response.status_code, response.json()


@pytest.fixture(autouse=True)
def _migrations_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readiness, "_migrations_applied", False)


# --- /readyz ---------------------------------------------------------------------------------


def test_ready_when_the_database_answers_the_migrations_are_applied_and_the_worker_beats(
    db, frozen_at
):
    frozen_at(NOW)
    do_record_heartbeat(worker_id="host:1", at=clock.now() - timedelta(seconds=10))

    status, body = readyz()

    assert status == 200, body
    assert body == {
        "status": "ok",
        "failed": [],
        "checks": {"database": {"ok": True}, "migrations": {"ok": True}, "worker": {"ok": True}},
    }


def test_no_heartbeat_at_all_is_not_ready_and_names_the_worker(db):
    status, body = readyz()

    assert status == 503
    assert body["status"] == "unavailable" and body["failed"] == ["worker"]
    assert "liandong worker" in body["checks"]["worker"]["message"]
    assert body["checks"]["database"] == {"ok": True}


def test_a_heartbeat_older_than_three_rounds_is_stale(db, frozen_at, settings):
    settings.LIANDONG_WORKER_INTERVAL = 30  # three rounds: 90 s
    frozen_at(NOW)
    do_record_heartbeat(worker_id="host:1", at=clock.now())

    clock.advance(timedelta(seconds=90))
    assert readyz()[0] == 200

    clock.advance(timedelta(seconds=1))
    status, body = readyz()
    assert status == 503 and body["failed"] == ["worker"]
    assert "91 秒前" in body["checks"]["worker"]["message"]
    assert "超过 90 秒" in body["checks"]["worker"]["message"]


def test_a_short_worker_interval_still_allows_a_minute(db, frozen_at, settings):
    settings.LIANDONG_WORKER_INTERVAL = 1
    frozen_at(NOW)
    do_record_heartbeat(worker_id="host:1", at=clock.now())
    clock.advance(timedelta(seconds=60))
    assert readyz()[0] == 200
    clock.advance(timedelta(seconds=1))
    assert readyz()[0] == 503


def test_the_newest_heartbeat_of_several_workers_counts(db, frozen_at):
    frozen_at(NOW)
    do_record_heartbeat(worker_id="old:1", at=clock.now() - timedelta(hours=1))
    do_record_heartbeat(worker_id="new:2", at=clock.now() - timedelta(seconds=5))
    assert readyz()[0] == 200


def test_an_unapplied_migration_is_not_ready_and_is_named(db, frozen_at, monkeypatch):
    frozen_at(NOW)
    do_record_heartbeat(worker_id="host:1", at=clock.now())
    pending = Migration("0099_not_yet", "worker")
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [(pending, False)]
    )

    status, body = readyz()

    assert status == 503 and body["failed"] == ["migrations"]
    assert body["checks"]["migrations"] == {
        "ok": False,
        "message": "有 1 个数据库迁移尚未执行，请先运行 liandong migrate",
    }


def test_once_the_migrations_are_applied_the_process_does_not_ask_again(db, frozen_at):
    frozen_at(NOW)
    do_record_heartbeat(worker_id="host:1", at=clock.now())
    assert readyz()[0] == 200  # the real plan: empty

    def never(*args: object) -> None:
        raise AssertionError("asked again")

    original = MigrationExecutor.migration_plan
    MigrationExecutor.migration_plan = never  # type: ignore[method-assign,assignment]
    try:
        assert readyz()[0] == 200
    finally:
        MigrationExecutor.migration_plan = original  # type: ignore[method-assign]


def test_probes_are_public_and_not_redirected_to_https(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/login/").status_code == 301
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code == 503  # answered (no worker), not redirected


# --- the worker's heartbeat ------------------------------------------------------------------


def test_each_round_of_the_worker_upserts_its_own_heartbeat(db, frozen_at):
    frozen_at(NOW)
    run_once()
    clock.advance(timedelta(seconds=5))
    run_once()

    rows = list(WorkerHeartbeat.objects.values_list("worker_id", "last_seen"))
    assert rows == [(this_worker_id(), clock.now())]
    assert this_worker_id() == f"{socket.gethostname()}:{os.getpid()}"


def test_the_rows_of_long_gone_workers_are_forgotten(db, frozen_at):
    frozen_at(NOW)
    do_record_heartbeat(worker_id="gone:1", at=clock.now() - timedelta(days=8))
    do_record_heartbeat(worker_id="here:2", at=clock.now())
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["here:2"]


# --- the proxy headers under gunicorn (as waitress's trusted_proxy did) ------------------------


def call(app: TrustedProxyHeaders, **environ: str) -> tuple[str, dict[str, Any]]:
    seen: dict[str, Any] = {}
    status: list[str] = []

    def inner(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(env)
        start_response("200 OK", [])
        return [b""]

    app.app = inner
    app({"REMOTE_ADDR": "127.0.0.1", **environ}, lambda s, h: status.append(s))
    return status[0], seen


def proxy_app(proxies: list[str] | None) -> TrustedProxyHeaders:
    ssl = "HTTP_X_FORWARDED_PROTO" if proxies is not None else None
    return TrustedProxyHeaders(lambda e, s: [], proxies=proxies, ssl_header=ssl, max_body=100)


def test_the_trusted_proxy_gives_the_scheme_and_the_clients_address():
    _, env = call(
        proxy_app(["127.0.0.1"]),
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    assert env["HTTP_X_FORWARDED_PROTO"] == "https"
    assert env["REMOTE_ADDR"] == "203.0.113.7"  # the address the proxy itself saw
    assert "HTTP_X_FORWARDED_HOST" not in env


def test_anyone_else_claiming_https_or_an_address_is_not_heard():
    for app in (proxy_app(["10.9.9.9"]), proxy_app(["10.0.0.0/8"]), proxy_app(None)):
        _, env = call(app, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="203.0.113.7")
        assert "HTTP_X_FORWARDED_PROTO" not in env and "HTTP_X_FORWARDED_FOR" not in env
        assert env["REMOTE_ADDR"] == "127.0.0.1"


def test_a_body_larger_than_the_largest_upload_is_refused_unread():
    assert call(proxy_app(None), CONTENT_LENGTH="101")[0].startswith("413")
    assert call(proxy_app(None), CONTENT_LENGTH="100")[0] == "200 OK"


# --- the real server ---------------------------------------------------------------------------


def worker_pids(master: int) -> set[int]:
    children: set[int] = set()
    for task in os.listdir(f"/proc/{master}/task"):
        text = Path(f"/proc/{master}/task/{task}/children").read_text()
        children.update(int(pid) for pid in text.split())
    return children


def owner_of_connection(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """The process holding the server's end of the connection from `client_port` (Linux /proc)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(fields[i].rsplit(":", 1)[1], 16) for i in (1, 2))
        if local == server_port and remote == client_port:
            inode = fields[9]
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def answering_pids(port: int, pids: set[int]) -> set[int]:
    """Open keep-alive connections, each answered, until two processes hold some (or give up)."""
    owners: set[int | None] = set()
    for _wave in range(20):
        connections = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(8)]
        try:
            for conn in connections:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert conn.recv(4096).startswith(b"HTTP/1.1 200")
            for conn in connections:
                owners.add(owner_of_connection(port, conn.getsockname()[1], pids))
        finally:
            for conn in connections:
                conn.close()
        if len(owners - {None}) >= 2:
            break
    return {pid for pid in owners if pid is not None}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads Linux's /proc")
def test_serve_answers_from_two_worker_processes_and_stops_cleanly_on_sigterm(tmp_path):
    run_command(tmp_path, "migrate", "--noinput")
    port = free_port()
    server = Proc(tmp_path, "serve", "serve", "--workers", "2", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            server.check_alive()
            try:
                return requests.get(f"{url}/healthz", timeout=2).ok
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=30, what="liandong serve to answer /healthz")
        workers = wait_until(
            lambda: pids if len(pids := worker_pids(server.pid)) == 2 else None,
            timeout=10,
            what="two worker processes",
        )
        assert workers is not None
        assert answering_pids(port, workers) == workers

        # Metrics add up across the processes: 40 more /healthz, whichever process answers them
        # and whichever answers the scrape.
        def healthz_count() -> float:
            text = requests.get(f"{url}/metrics", timeout=5).text
            key = 'liandong_request_seconds_count{method="GET",route="healthz",status="2xx"} '
            return sum(
                float(line[len(key) :]) for line in text.splitlines() if line.startswith(key)
            )

        before = healthz_count()
        for _ in range(40):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        assert healthz_count() == before + 40

        # No worker has run yet; one round of `liandong worker` makes the installation ready.
        not_ready = requests.get(f"{url}/readyz", timeout=5)
        assert not_ready.status_code == 503 and not_ready.json()["failed"] == ["worker"]
        run_command(tmp_path, "worker", "--once")
        assert requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ok"

        server.popen.send_signal(signal.SIGTERM)
        assert server.popen.wait(timeout=40) == 0, server.output()
        assert not any(_running(pid) for pid in workers)
        assert "Shutting down: Master" in server.output()
    finally:
        server.kill()


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status

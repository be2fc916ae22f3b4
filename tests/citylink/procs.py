"""Helpers for tests that run the real `liandong` processes (server, worker, management commands)
against their own SQLite file and kill them with SIGKILL.

Nothing here touches the test database: every process gets LIANDONG_HOME=<a temp dir> and no
LIANDONG_DATABASE_URL, so it uses <dir>/liandong.sqlite3 even when the suite runs on PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import requests

LIANDONG = str(Path(sys.executable).with_name("liandong"))
T = TypeVar("T")


#: Ports for the servers the tests start, below Linux's ephemeral range (32768-60999 by default),
#: so that no bind(0) or outgoing connection elsewhere can take one between free_port() and the
#: server's own bind. Each pytest-xdist worker has its own slice, so workers never pick the same.
_PORTS = range(20000, 30000)


def _bind_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port that is free now, from this worker's slice of _PORTS."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    index = int(worker[2:]) % workers if worker[2:].isdigit() else 0
    size = len(_PORTS) // workers
    mine = _PORTS[index * size : (index + 1) * size]
    for port in random.sample(mine, k=min(200, len(mine))):
        if _bind_free(port):
            return port
    raise AssertionError(f"no free port in {mine}")


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.05,
    what: str = "condition",
    watch: Sequence[Proc] = (),
) -> T:
    """Poll until predicate() is truthy; return its value, or fail after `timeout` seconds (or as
    soon as one of the `watch`ed processes has exited)."""
    deadline = time.monotonic() + timeout
    while True:
        for proc in watch:
            proc.check_alive()
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def process_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANDONG_")}
    env.update(
        LIANDONG_HOME=str(home),
        DJANGO_SETTINGS_MODULE="liandong.settings",
        PYTHONUNBUFFERED="1",
        LIANDONG_LOG_LEVEL="INFO",
        # one machine's trial: the processes share the development keys with the test
        LIANDONG_ALLOW_DEVELOPMENT_KEYS="1",
    )
    env.update(extra)
    return env


def run_command(home: Path, *args: str, timeout: float = 60, **extra_env: str) -> str:
    """Run `liandong <args>` to completion; return its stdout (fails with its output otherwise)."""
    done = subprocess.run(
        [LIANDONG, *args],
        env=process_env(home, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"liandong {' '.join(args)[:200]} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done.stdout


def shell_json(home: Path, code: str, timeout: float = 60) -> Any:
    """Run Python code with `liandong shell -c`; the code prints one JSON line starting with
    'RESULT ' which is decoded and returned."""
    out = run_command(home, "shell", "--no-imports", "-c", code, timeout=timeout)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise AssertionError(f"no RESULT line in the shell's output:\n{out[-4000:]}")


def copy_database(source_home: Path, target_home: Path) -> None:
    """A consistent copy of an installation's SQLite database (the online backup API)."""
    target_home.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source_home / "liandong.sqlite3")
    dst = sqlite3.connect(target_home / "liandong.sqlite3")
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def query(home: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Read the installation's database directly (read-only; processes may be running)."""
    uri = f"file:{home / 'liandong.sqlite3'}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=20)
    con.row_factory = sqlite3.Row
    try:
        return list(con.execute(sql, params))
    finally:
        con.close()


class Proc:
    """A long-running `liandong` process whose output goes to a log file in the home dir."""

    def __init__(self, home: Path, name: str, *args: str, **extra_env: str) -> None:
        self.home = home
        self.name = name
        self.log_path = home / f"{name}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in kill())
        self.popen = subprocess.Popen(
            [LIANDONG, *args],
            env=process_env(home, **extra_env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL (no clean shut-down of any kind) and reap."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        finally:
            self._log.close()

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def check_alive(self) -> None:
        if not self.alive():
            raise AssertionError(
                f"{self.name} exited with {self.popen.returncode}:\n{self.output()}"
            )


class Server(Proc):
    def __init__(self, home: Path, name: str = "serve", port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(home, name, "serve", "--host", "127.0.0.1", "--port", str(self.port))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20) -> None:
        def healthy() -> bool:
            self.check_alive()
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=timeout, what=f"{self.name} to answer /healthz")


class Worker(Proc):
    def __init__(self, home: Path, name: str = "worker", **extra_env: str) -> None:
        super().__init__(home, name, "worker", **extra_env)

"""The live signal: "something the screens show has changed", across every server process.

A change the screens show (an event appended, a city report parked) calls `changed()` inside its
own transaction. On PostgreSQL that becomes one `NOTIFY liandong_live` with a random payload, sent
just after the transaction commits (never for one rolled back). Each server process keeps one
listener thread (`LISTEN`, its own connection, started on first use, reconnecting on failure) that
remembers the payload of the last announcement it heard: that is `version()`. PostgreSQL hands
every listener the same announcements in the same order, so two processes that have heard the
same last announcement give the same version, whichever node they run on. A screen's poll sends
the version its data was read at; the same version now means nothing it shows has changed since
(every change commits before it is announced, and is announced after any read that missed it),
and the poll answers without reading anything. A process killed between a commit and its
announcement leaves that one change unannounced: readers therefore trust a version for a minute
at most (web/console.py).

`version()` is None whenever the listener cannot vouch for it (not yet connected, reconnecting,
not heard from the server lately, or not PostgreSQL): the caller then reads, as before. After a
reconnection the version is a fresh random one, because announcements made while it was away are
lost: no version read before can match it.

Only Django and psycopg here: any app may call `changed()`.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from typing import Any

from django.db import connections, transaction

log = logging.getLogger("liandong.live")

CHANNEL = "liandong_live"
#: The listener proves its connection alive this often when nothing is announced.
HEARTBEAT_SECONDS = 2.0
#: A listener not heard from for this long vouches for nothing (its version is None).
STALE_SECONDS = 10.0
#: Waits between reconnection attempts: doubling from the first to the last.
RETRY_SECONDS = (0.5, 10.0)


def changed() -> None:
    """Announce a change to every screen once the current transaction commits (PostgreSQL;
    elsewhere nothing: the reader checks the data itself). Cheap to call many times: one
    announcement per transaction, none if it rolls back."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    if connection.in_atomic_block and any(
        entry[1] is _announce for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_announce, robust=True)


def _announce() -> None:
    """NOTIFY, just after the commit, in a statement of its own (a NOTIFY inside the writing
    transaction would make PostgreSQL commit the writers one at a time: about 300 commits/s
    instead of 3,000 here). The payload only has to be unique."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, secrets.token_hex(8)])


class Listener:
    """One per process: a daemon thread holding a LISTEN connection."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.current: str | None = None
        self.heard_at = 0.0  # time.monotonic() of the last sign of life from the server
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def version(self) -> str | None:
        """The last announcement heard, or None when it cannot be trusted."""
        self.start()
        current = self.current
        if current is None or time.monotonic() - self.heard_at > STALE_SECONDS:
            return None
        return current

    def start(self) -> None:
        """Start the thread unless it runs in this process (a forked server worker starts its
        own: threads do not survive a fork)."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self.current = None
            self._stop.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="liandong-live", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread (tests)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self.current = None

    def _run(self) -> None:
        wait = RETRY_SECONDS[0]
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as error:  # noqa: BLE001 - any failure: reconnect
                log.warning("live listener lost its connection (%s); reconnecting", error)
            self.current = None
            if self._stop.wait(wait):
                return
            wait = min(wait * 2, RETRY_SECONDS[1])

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(**_connect_params(self.using), autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.heard_at = time.monotonic()
            # Announcements made before LISTEN are lost to us: match no version read before.
            self.current = "r" + secrets.token_hex(8)
            while not self._stop.is_set():
                for note in conn.notifies(timeout=HEARTBEAT_SECONDS):
                    self.heard_at = time.monotonic()
                    self.current = note.payload
                conn.execute("SELECT 1")
                self.heard_at = time.monotonic()


def _connect_params(using: str) -> dict[str, Any]:
    """Where to LISTEN: LIANDONG_LIVE_DATABASE_URL when set (straight to PostgreSQL, or a pooler
    in session mode: a LISTEN does not survive transaction pooling), else Django's own connection
    settings (the test database included); with keepalives so a dropped connection is noticed."""
    url = os.environ.get("LIANDONG_LIVE_DATABASE_URL", "")
    if url:
        params: dict[str, Any] = {"conninfo": url}
    else:
        params = dict(connections[using].get_connection_params())
        for django_only in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(django_only, None)
    params.setdefault("application_name", "liandong-live")
    params.setdefault("connect_timeout", 5)
    params.setdefault("keepalives", 1)
    params.setdefault("keepalives_idle", 10)
    params.setdefault("keepalives_interval", 5)
    params.setdefault("keepalives_count", 3)
    return params


listener = Listener()


def version() -> str | None:
    """This process's live version (PostgreSQL), starting the listener on first use; None when
    it cannot vouch for one (then read)."""
    if connections["default"].vendor != "postgresql":
        return None
    return listener.version()

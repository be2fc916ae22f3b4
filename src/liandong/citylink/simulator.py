"""`liandong city-sim`: plays the city platform against a running district.

CitySender sends signed incidents drawn from the shipped corpus (and some follow-up messages) at a
chosen rate; ReportReceiver is the city's /reports endpoint: it checks every report's signature,
and per incident that sequences arrive in order without gaps (a repeat with a known report_id is
counted as a duplicate, which the contract allows). Tests use both as the real counterpart."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import requests
import yaml

from liandong.citylink import signing

BEIJING = ZoneInfo("Asia/Shanghai")


def load_corpus() -> list[dict[str, Any]]:
    text = resources.files("liandong.citylink").joinpath("corpus.yaml").read_text(encoding="utf-8")
    return list(yaml.safe_load(text)["incidents"])


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A sender that gave up (timeout) closes the connection: not an error of the receiver.
        return


@dataclass
class ReceiverStats:
    received: int = 0
    duplicates: int = 0
    gaps: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    bad_signatures: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    reports: list[dict[str, Any]] = field(default_factory=list)
    #: the most reports in the receiver at once, and those that came while an earlier report of
    #: the same incident was still unanswered (which the contract forbids)
    most_at_once: int = 0
    overlapping: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.gaps or self.out_of_order or self.bad_signatures or self.overlapping)


class ReportReceiver:
    """The city's report endpoint, on a real HTTP server in a thread."""

    def __init__(
        self,
        *,
        expected_peer_id: str,
        secrets: list[str],
        host: str = "127.0.0.1",
        port: int = 0,
        respond: Callable[[dict[str, Any]], int] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.expected_peer_id = expected_peer_id
        self.secrets = secrets
        self.respond = respond or (lambda report: 200)
        self.delay = delay  # seconds before each answer (a city under load)
        self._in_flight: Counter[str] = Counter()
        self.stats = ReceiverStats()
        self._next: dict[str, int] = defaultdict(lambda: 1)
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.handle(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "ok"}' if status < 300 else b'{"error": {}}')

        self.server = _QuietServer((host, port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="city-receiver"
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ReportReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if path.rstrip("/") != "/reports":
            return 404
        ts = headers.get("X-Timestamp", "")
        ok = (
            headers.get("X-Peer-Id") == self.expected_peer_id
            and signing.timestamp_is_fresh(ts, time.time())
            and signing.matches_any(self.secrets, ts, body, headers.get("X-Signature", ""))
        )
        if not ok:
            with self._lock:
                self.stats.bad_signatures += 1
            return 401
        report = json.loads(body)
        incident = str(report.get("incident_id"))
        with self._lock:
            self._in_flight[incident] += 1
            if self._in_flight[incident] > 1:
                self.stats.overlapping.append(f"{incident}: {report.get('sequence')}")
            self.stats.most_at_once = max(self.stats.most_at_once, self._in_flight.total())
        try:
            if self.delay:
                time.sleep(self.delay)
            with self._lock:
                return self._answer(report)
        finally:
            with self._lock:
                self._in_flight[incident] -= 1

    def _answer(self, report: dict[str, Any]) -> int:
        status = self.respond(report)
        if 200 <= status < 300:
            self._accept(report)
        return status

    def _accept(self, report: dict[str, Any]) -> None:
        incident, seq, rid = report["incident_id"], report["sequence"], report["report_id"]
        if rid in self._seen:
            self.stats.duplicates += 1
            return
        expected = self._next[incident]
        if seq > expected:
            self.stats.gaps.append(f"{incident}: expected {expected}, got {seq}")
        elif seq < expected:
            self.stats.out_of_order.append(f"{incident}: {seq} after {expected - 1}")
        self._next[incident] = max(expected, seq + 1)
        self._seen.add(rid)
        self.stats.received += 1
        self.stats.by_type[report["type"]] += 1
        self.stats.reports.append(report)


@dataclass
class SenderStats:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    followups: int = 0


class CitySender:
    """Sends signed incidents and follow-ups to a district."""

    def __init__(
        self, *, district_url: str, peer_id: str, secret: str, seed: int | None = None
    ) -> None:
        self.base = district_url.rstrip("/") + "/api/city/v1"
        self.peer_id = peer_id
        self.secret = secret
        self.corpus = load_corpus()
        self.random = random.Random(seed)
        self.stats = SenderStats()
        self._counter = 0
        self.pending_followups: list[tuple[float, str, dict[str, Any]]] = []

    def post(self, path: str, payload: dict[str, Any]) -> int:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = signing.signed_headers(self.peer_id, self.secret, body, time.time())
        try:
            status = requests.post(
                self.base + path, data=body, headers=headers, timeout=10
            ).status_code
        except requests.RequestException:
            self.stats.errors += 1
            return 0
        self.stats.statuses[status] += 1
        return status

    def next_incident(self) -> dict[str, Any]:
        entry = self.random.choice(self.corpus)
        self._counter += 1
        now = datetime.now(tz=BEIJING)
        received = now - timedelta(seconds=self.random.randint(30, 240))
        incident_id = f"SY{now:%Y%m%d%H%M%S}{self._counter:04d}{self.random.randint(0, 99):02d}"
        payload: dict[str, Any] = {
            "incident_id": incident_id,
            "received_at": received.isoformat(timespec="seconds"),
            "transferred_at": (received + timedelta(seconds=self.random.randint(20, 90))).isoformat(
                timespec="seconds"
            ),
            "caller_name": entry.get("caller_name", ""),
            "caller_phone": f"1{self.random.choice('3589')}{self.random.randint(0, 999999999):09d}",
            "address": entry["address"],
            "content": entry["content"],
            "city_category": entry.get("city_category", ""),
            "police_dispatched": bool(entry.get("police_dispatched")),
            "urgency": entry.get("urgency", "normal"),
        }
        for number, followup in enumerate(entry.get("followups") or [], start=1):
            due = time.monotonic() + self.random.uniform(20, 120) * number
            self.pending_followups.append(
                (
                    due,
                    incident_id,
                    {
                        "message_id": f"{incident_id}-m{number}",
                        "type": followup["type"],
                        "sent_at": datetime.now(tz=BEIJING).isoformat(timespec="seconds"),
                        **({"text": followup["text"]} if followup.get("text") else {}),
                    },
                )
            )
        return payload

    def send_incident(self) -> int:
        self.stats.sent += 1
        return self.post("/incidents", self.next_incident())

    def send_due_followups(self) -> None:
        now = time.monotonic()
        due = [f for f in self.pending_followups if f[0] <= now]
        self.pending_followups = [f for f in self.pending_followups if f[0] > now]
        for _, incident_id, message in due:
            message["sent_at"] = datetime.now(tz=BEIJING).isoformat(timespec="seconds")
            self.stats.followups += 1
            self.post(f"/incidents/{incident_id}/messages", message)


def summary(sender: CitySender | None, receiver: ReportReceiver | None) -> str:
    parts = []
    if sender is not None:
        s = sender.stats
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(s.statuses.items()))
        parts.append(
            f"sent {s.sent} incidents, {s.followups} follow-ups [{codes}] errors {s.errors}"
        )
    if receiver is not None:
        r = receiver.stats
        types = ", ".join(f"{k} {v}" for k, v in sorted(r.by_type.items()))
        parts.append(
            f"reports {r.received} ({types}); duplicates {r.duplicates}; gaps {len(r.gaps)}; "
            f"out of order {len(r.out_of_order)}; one incident's overlapping "
            f"{len(r.overlapping)}; at once at most {r.most_at_once}; "
            f"bad signatures {r.bad_signatures}"
        )
    return " | ".join(parts)


def run(
    *,
    district_url: str,
    peer_id: str,
    secret: str,
    listen: tuple[str, int] | None,
    district_peer_id: str,
    district_secret: str,
    per_minute: float,
    duration: float | None,
    report_every: float = 10.0,
    stop: threading.Event | None = None,
    echo: Callable[[str], None] = print,
) -> ReceiverStats | None:
    stop = stop or threading.Event()
    receiver = None
    if listen is not None:
        receiver = ReportReceiver(
            expected_peer_id=district_peer_id,
            secrets=[district_secret],
            host=listen[0],
            port=listen[1],
        ).start()
        echo(f"city-sim: receiving reports at {receiver.url}/reports")
    sender = CitySender(district_url=district_url, peer_id=peer_id, secret=secret)
    interval = 60.0 / per_minute if per_minute > 0 else None
    started = time.monotonic()
    next_send = started + 3.0  # let the district's server come up first
    next_report = started + report_every
    try:
        while not stop.is_set():
            now = time.monotonic()
            if duration is not None and now - started >= duration:
                break
            if interval is not None and now >= next_send:
                sender.send_incident()
                next_send += interval
            sender.send_due_followups()
            if now >= next_report:
                echo(f"city-sim {int(now - started)}s: {summary(sender, receiver)}")
                next_report += report_every
            stop.wait(0.2)
    finally:
        echo(f"city-sim final: {summary(sender, receiver)}")
        if receiver is not None:
            for line in (receiver.stats.gaps + receiver.stats.out_of_order)[:20]:
                echo(f"  problem: {line}")
            receiver.stop()
    return receiver.stats if receiver else None

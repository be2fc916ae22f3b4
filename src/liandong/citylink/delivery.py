"""Delivery of outbound reports to the city: the city's queue on the one delivery mechanism
(liandong.outbox.engine). A report may be sent when every earlier report of its incident has been
delivered; a worker that dies mid-delivery leaves its lease to expire and the report is sent again
with the same report_id (the city treats a repeat as already received)."""

from __future__ import annotations

import json
import logging
import os
import time

import requests
from django.conf import settings

from liandong.citylink import peers, signing
from liandong.citylink.models import CityPeer, CityReport, ReportAttempt
from liandong.citylink.reports import report_body
from liandong.outbox import engine
from liandong.outbox.engine import Outcome, backoff_seconds, classify

__all__ = ["Outcome", "backoff_seconds", "classify", "deliver_reports", "do_record_attempt"]

log = logging.getLogger("liandong.citylink")

TIMEOUT_SECONDS = float(os.environ.get("LIANDONG_REPORT_TIMEOUT", "10"))
LEASE_SECONDS = float(os.environ.get("LIANDONG_REPORT_LEASE", "60"))

CITY_QUEUE: engine.Queue[CityReport] = engine.Queue(
    name="上报市平台",
    model=CityReport,
    attempt_model=ReportAttempt,
    attempt_fk="report",
    stream_field="incident",
    lease_seconds=LEASE_SECONDS,
    label=lambda report: report.report_id,
    related=("incident",),
)


def deliverable() -> list[CityReport]:
    return engine.deliverable(CITY_QUEUE)


def claim(report: CityReport) -> bool:
    return engine.claim(CITY_QUEUE, report)


def prepare(report: CityReport, peer: CityPeer, secret: str) -> engine.Send:
    """The report's body, read in the worker's own thread; the returned send (signed when it
    goes, so its timestamp is fresh) only makes the network call."""
    body = json.dumps(report_body(report), ensure_ascii=False).encode("utf-8")
    url = peer.reports_url.rstrip("/") + "/reports"

    def send_now() -> Outcome:
        headers = signing.signed_headers(peer.district_peer_id, secret, body, time.time())
        started = time.monotonic()
        try:
            response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
            status: int | None = response.status_code
            error = "" if 200 <= response.status_code < 300 else response.text[:500]
        except requests.RequestException as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:500]
        return Outcome(status, error, int((time.monotonic() - started) * 1000))

    return send_now


def send(report: CityReport, peer: CityPeer, secret: str) -> Outcome:
    """One report, prepared and sent in this thread."""
    return prepare(report, peer, secret)()


def concurrency() -> int:
    """How many reports (of different incidents) one worker sends at once
    (LIANDONG_REPORT_CONCURRENCY); one incident's reports always go one after the other."""
    return max(1, settings.LIANDONG_REPORT_CONCURRENCY)


def do_record_attempt(*, report: CityReport, outcome: Outcome) -> str:
    """Store the attempt and move the report on: delivered, retry later, or parked."""
    return engine.do_record_attempt(queue=CITY_QUEUE, item=report, outcome=outcome)


def deliver_reports(max_rounds: int = 20, budget_seconds: float | None = None) -> int:
    """Send what is due, in order per incident. Returns how many reports were delivered."""
    peer = CityPeer.objects.filter(active=True).exclude(reports_url="").first()
    if peer is None:
        return 0
    secret = peers.signing_secret(peer)
    if secret is None:
        log.error("no active outbound key for %s: reports wait", peer.peer_id)
        return 0
    return engine.deliver_concurrently(
        CITY_QUEUE,
        lambda report: prepare(report, peer, secret),
        concurrency=concurrency(),
        max_rounds=max_rounds,
        budget_seconds=budget_seconds,
    )

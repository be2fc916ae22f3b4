"""Delivery of outbound reports to the city (the worker's side of the outbox).

A report may be sent when every earlier report of its incident has been delivered. A worker claims
it with a lease (an atomic UPDATE), sends it outside any transaction, and records the attempt with
`do_record_attempt`. A worker that dies mid-delivery leaves the lease to expire; the report is then
sent again with the same report_id (the city treats a repeat as already received)."""

from __future__ import annotations

import json
import logging
import os
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from liandong import clock
from liandong.citylink import peers, signing
from liandong.citylink.lifecycle import REPORT
from liandong.citylink.models import CityPeer, CityReport, ReportAttempt, ReportState
from liandong.citylink.reports import report_body

log = logging.getLogger("liandong.citylink")

TIMEOUT_SECONDS = float(os.environ.get("LIANDONG_REPORT_TIMEOUT", "10"))
LEASE_SECONDS = float(os.environ.get("LIANDONG_REPORT_LEASE", "60"))
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 600.0
RETRYABLE_STATUSES = frozenset({408, 429})


def backoff_seconds(attempts: int) -> float:
    """5 s, 10 s, 20 s … up to 10 minutes between tries (attempts ≥ 1)."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def classify(status: int | None) -> str:
    """The report table's action 'delivered', 'retry' or 'park' for an HTTP status (None: timeout or connection error)."""
    if status is None or status in RETRYABLE_STATUSES or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    return "park"


def deliverable() -> list[CityReport]:
    """Reports due now whose predecessors are all delivered, oldest first."""
    now = clock.now()
    earlier_open = CityReport.objects.filter(
        incident=OuterRef("incident"), sequence__lt=OuterRef("sequence")
    ).exclude(state=ReportState.DELIVERED)
    return list(
        CityReport.objects.filter(state=ReportState.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(Exists(earlier_open))
        .select_related("incident")
        .order_by("next_attempt_at", "id")[:100]
    )


def claim(report: CityReport) -> bool:
    now = clock.now()
    claimed = (
        CityReport.objects.filter(pk=report.pk, state=ReportState.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=LEASE_SECONDS))
    )
    return claimed == 1


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str
    duration_ms: int


def send(report: CityReport, peer: CityPeer, secret: str) -> Outcome:
    body = json.dumps(report_body(report), ensure_ascii=False).encode("utf-8")
    url = peer.reports_url.rstrip("/") + "/reports"
    headers = signing.signed_headers(peer.district_peer_id, secret, body, time.time())
    started = time.monotonic()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
        status: int | None = response.status_code
        error = "" if 200 <= response.status_code < 300 else response.text[:500]
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(status, error, int((time.monotonic() - started) * 1000))


@transaction.atomic
def do_record_attempt(*, report: CityReport, outcome: Outcome) -> str:
    """Store the attempt and move the report on: delivered, retry later, or parked."""
    locked = CityReport.objects.select_for_update().get(pk=report.pk)
    verdict = classify(outcome.status)
    now = clock.now()
    ReportAttempt.objects.create(
        report=locked,
        started_at=now - timedelta(milliseconds=outcome.duration_ms),
        duration_ms=outcome.duration_ms,
        status_code=outcome.status,
        error=outcome.error,
        outcome=verdict,
    )
    locked.attempts += 1
    locked.last_status = outcome.status
    locked.last_error = outcome.error
    locked.lease_until = None
    if REPORT.allows(locked.state, verdict):  # a report resent or delivered meanwhile stays
        locked.state = REPORT.next_state(locked.state, verdict)
        if verdict == "delivered":
            locked.delivered_at = now
        elif verdict == "park":
            log.warning("report %s parked after HTTP %s", locked.report_id, outcome.status)
        else:
            jitter = random.uniform(0.9, 1.1)
            locked.next_attempt_at = now + timedelta(
                seconds=backoff_seconds(locked.attempts) * jitter
            )
    locked.save()
    return verdict


def deliver_reports(max_rounds: int = 20) -> int:
    """Send what is due, round after round while reports keep being acknowledged (an incident's
    next report becomes due once its predecessor is delivered). Returns how many were delivered."""
    peer = CityPeer.objects.filter(active=True).exclude(reports_url="").first()
    if peer is None:
        return 0
    secret = peers.signing_secret(peer)
    if secret is None:
        log.error("no active outbound key for %s: reports wait", peer.peer_id)
        return 0
    total = 0
    for _ in range(max_rounds):
        delivered = _one_round(peer, secret)
        total += delivered
        if delivered == 0:
            break
    return total


def _one_round(peer: CityPeer, secret: str) -> int:
    delivered = 0
    blocked: set[int] = set()
    for report in deliverable():
        if report.incident_id in blocked or not claim(report):
            continue
        verdict = do_record_attempt(report=report, outcome=send(report, peer, secret))
        if verdict == "delivered":
            delivered += 1
        else:
            blocked.add(report.incident_id)
    return delivered

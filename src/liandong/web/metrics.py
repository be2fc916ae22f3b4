"""Metrics in Prometheus's text format at /metrics, correct with several server processes.

- What the work looks like (intake, dispatch, open and overdue deadlines by kind, report and
  notification backlogs, how late the deadline watch is) is read from the database at scrape
  time: one truth, whichever process answers the scrape.
- Request latency is a histogram per route kept by each process; under `liandong serve` (several
  gunicorn processes) prometheus_client's multiprocess mode adds them up (PROMETHEUS_MULTIPROC_DIR,
  set by serving.py before the processes fork).

Only the scraper may read it: an address in LIANDONG_METRICS_ALLOWED (default the machine itself)
or a bearer token equal to LIANDONG_METRICS_TOKEN."""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from liandong import clock

REQUEST_SECONDS = Histogram(
    "liandong_request_seconds",
    "Time to answer a request, by route and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestMetricsMiddleware:
    """Times every request; the route is the URL pattern's name (bounded), never the path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match is not None else "") or "unmatched"
        REQUEST_SECONDS.labels(request.method, route, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


class WorkCollector(Collector):
    """The domain's numbers, read from the database when scraped."""

    def collect(self) -> Iterator[Any]:
        from liandong.citylink.delivery import CITY_QUEUE
        from liandong.incidents.lifecycle import DeadlineState
        from liandong.incidents.models import Deadline, Incident, Instruction
        from liandong.notifications.delivery import NOTIFY_QUEUE
        from liandong.outbox import engine

        now = clock.now()
        intake = CounterMetricFamily(
            "liandong_incidents_received", "Incidents received, by source", labels=["source"]
        )
        for row in Incident.objects.values("source").annotate(n=Count("id")).order_by("source"):
            intake.add_metric([row["source"]], row["n"])
        yield intake
        dispatched = CounterMetricFamily("liandong_instructions_dispatched", "Instructions sent")
        dispatched.add_metric([], Instruction.objects.count())
        yield dispatched

        open_deadlines = GaugeMetricFamily(
            "liandong_deadlines_open", "Open deadlines, by kind", labels=["kind"]
        )
        overdue = GaugeMetricFamily(
            "liandong_deadlines_overdue", "Open deadlines past due, by kind", labels=["kind"]
        )
        rows = (
            Deadline.objects.filter(state=DeadlineState.OPEN)
            .values("kind")
            .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now)))
            .order_by("kind")
        )
        for row in rows:
            open_deadlines.add_metric([row["kind"]], row["n"])
            overdue.add_metric([row["kind"]], row["late"])
        yield open_deadlines
        yield overdue

        backlogs = {
            "city_reports": engine.backlog(CITY_QUEUE),
            "notifications": engine.backlog(NOTIFY_QUEUE),
        }
        for name, counts in backlogs.items():
            gauge = GaugeMetricFamily(
                f"liandong_{name}_backlog", f"Undelivered {name}, by state", labels=["state"]
            )
            for state in ("waiting", "failing", "parked"):
                gauge.add_metric([state], counts.get(state) or 0)
            yield gauge

        oldest_due = Deadline.objects.filter(watch_at__isnull=False).aggregate(m=Min("watch_at"))
        lateness = GaugeMetricFamily(
            "liandong_watch_lateness_seconds",
            "How long the oldest due step of the deadline watch has been waiting",
        )
        moment = oldest_due["m"]
        lateness.add_metric([], max(0.0, (now - moment).total_seconds()) if moment else 0.0)
        yield lateness


_work = WorkCollector()
_registered = False


def _registry() -> Any:
    global _registered
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_work)
        return registry
    if not _registered:
        REGISTRY.register(_work)
        _registered = True
    return REGISTRY


def _allowed(request: HttpRequest) -> bool:
    token = os.environ.get("LIANDONG_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(token, given):
        return True
    allowed = os.environ.get("LIANDONG_METRICS_ALLOWED", "127.0.0.1,::1")
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        peer in ipaddress.ip_network(a.strip(), strict=False)
        for a in allowed.split(",")
        if a.strip()
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(
            "只有指标采集端可以读取", status=403, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

"""Metrics for the operator's Prometheus: the work read from the database (so any process answers
the same), request latency by route, only for the scraper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from liandong import clock
from tests.factories import dispatched

pytestmark = pytest.mark.django_db


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def test_the_work_and_the_latency_are_there(frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    dispatched()  # one incident, two instructions (housing, urban-constr), their deadlines
    client = Client()
    client.get("/healthz")
    clock.advance(timedelta(hours=1))  # the 30-minute sign deadlines are now overdue
    text = client.get("/metrics").content.decode()
    assert _value(text, 'liandong_incidents_received_total{source="manual"}') == 1
    assert _value(text, "liandong_instructions_dispatched_total") == 2
    assert _value(text, 'liandong_deadlines_open{kind="sign"}') == 2
    assert _value(text, 'liandong_deadlines_overdue{kind="sign"}') == 2
    assert 'liandong_city_reports_backlog{state="waiting"}' in text
    assert 'liandong_notifications_backlog{state="waiting"}' in text
    assert _value(text, "liandong_watch_lateness_seconds") > 0  # no worker ran the watch
    assert (
        'liandong_request_seconds_bucket{le="0.005",method="GET",route="healthz",status="2xx"}'
        in text
        or ('route="healthz"' in text)
    )


def test_only_the_scraper_may_read_them(monkeypatch):
    outsider = Client(REMOTE_ADDR="10.9.8.7")
    assert outsider.get("/metrics").status_code == 403
    monkeypatch.setenv("LIANDONG_METRICS_TOKEN", "s3cret-token")
    assert outsider.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 403
    assert (
        outsider.get("/metrics", headers={"authorization": "Bearer s3cret-token"}).status_code
        == 200
    )
    monkeypatch.setenv("LIANDONG_METRICS_ALLOWED", "10.9.0.0/16")
    assert Client(REMOTE_ADDR="10.9.8.7").get("/metrics").status_code == 200

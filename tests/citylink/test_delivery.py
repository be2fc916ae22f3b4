"""Delivery of reports to the city: in order per incident, retries with back-off, parking, and the
office's view of the backlog. The city is a real HTTP server (the simulator's receiver)."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest

from liandong import clock
from liandong.citylink import delivery
from liandong.citylink.delivery import backoff_seconds, classify, deliver_reports
from liandong.citylink.models import CityReport, ReportAttempt
from tests.citylink.conftest import incident_payload
from tests.factories import Api, office_user, unit_user


def make_reports(city, count_incidents: int = 1) -> list[str]:
    """Each incident: dispatched (1), signed (2), feedback (3)."""
    office = Api(office_user())
    officer = Api(unit_user("ecology"))
    ids = []
    for _ in range(count_incidents):
        payload = incident_payload()
        assert city.post_incident(payload).status_code == 201
        body = office.post(
            f"/incidents/{payload['incident_id']}/dispatch",
            {
                "incident_class": "source_diversion",
                "level": 2,
                "category": "noise",
                "primary_unit": "ecology",
            },
        ).json()
        inst = body["instructions"][0]["id"]
        officer.post(f"/instructions/{inst}/sign")
        officer.post(f"/instructions/{inst}/feedback", {"text": "已核实"})
        ids.append(payload["incident_id"])
    return ids


def sequences(receiver, incident_id: str) -> list[int]:
    return [r["sequence"] for r in receiver.stats.reports if r["incident_id"] == incident_id]


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 160), (7, 320), (8, 600), (9, 600), (30, 600)],
)
def test_backoff_doubles_from_five_seconds_up_to_ten_minutes(attempts, seconds):
    assert backoff_seconds(attempts) == seconds


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, "delivered"),
        (201, "delivered"),
        (202, "delivered"),
        (204, "delivered"),
        (299, "delivered"),
        (None, "retry"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (504, "retry"),
        (400, "park"),
        (401, "park"),
        (403, "park"),
        (404, "park"),
        (409, "park"),
        (413, "park"),
        (422, "park"),
        (301, "park"),
    ],
)
def test_status_classification(status, verdict):
    assert classify(status) == verdict


def test_reports_arrive_signed_and_in_order(city, receiver):
    ids = make_reports(city, count_incidents=3)
    assert deliver_reports() == 9
    assert receiver.stats.clean and receiver.stats.received == 9
    for incident_id in ids:
        assert sequences(receiver, incident_id) == [1, 2, 3]
    assert CityReport.objects.exclude(state="delivered").count() == 0
    attempt = ReportAttempt.objects.first()
    assert (
        attempt.status_code == 200 and attempt.outcome == "delivered" and attempt.duration_ms >= 0
    )


def test_reports_of_different_incidents_go_at_once_one_incident_s_one_after_another(
    city, receiver, settings
):
    """LIANDONG_REPORT_CONCURRENCY reports in flight, each of a different incident: a city that
    answers slowly is not waited on report by report, and an incident's next report still waits
    for the answer to the one before (the contract)."""
    settings.LIANDONG_REPORT_CONCURRENCY = 4
    receiver.delay = 0.2
    failing_first: set[str] = set()

    def respond(report):
        # the first incident's first report is refused once: its later reports wait for it
        key = f"{report['incident_id']}/{report['sequence']}"
        if report["incident_id"] == ids[0] and report["sequence"] == 1 and key not in failing_first:
            failing_first.add(key)
            return 503
        return 200

    receiver.respond = respond
    ids = make_reports(city, count_incidents=4)
    with clock.frozen(clock.now()):
        assert deliver_reports() == 9  # three incidents' three reports each
        stats = receiver.stats
        assert stats.most_at_once >= 2 and not stats.overlapping and stats.clean
        assert sequences(receiver, ids[0]) == []
        for incident_id in ids[1:]:
            assert sequences(receiver, incident_id) == [1, 2, 3]
        clock.advance(timedelta(seconds=6))  # past the first back-off
        assert deliver_reports() == 3
    assert sequences(receiver, ids[0]) == [1, 2, 3]
    assert receiver.stats.clean and not receiver.stats.overlapping


def test_the_city_down_for_a_while_then_everything_arrives_in_order(city, receiver):
    tried: list[tuple[str, int]] = []
    down = {"value": True}

    def respond(report):
        tried.append((report["incident_id"], report["sequence"]))
        return 503 if down["value"] else 200

    receiver.respond = respond
    ids = make_reports(city, count_incidents=2)
    with clock.frozen(clock.now()):
        for _ in range(4):
            assert deliver_reports() == 0
            clock.advance(timedelta(minutes=11))
        # only the first report of each incident was ever tried: nothing overtakes a failing one
        assert {seq for _, seq in tried} == {1}
        backlog = Api(office_user()).get("/city-reports/backlog").json()
        assert backlog["failing"] == 2 and backlog["waiting"] == 4 and backlog["parked"] == 0
        assert backlog["oldest_age_seconds"] >= 44 * 60
        first = CityReport.objects.get(incident__incident_id=ids[0], sequence=1)
        assert first.attempts == 4 and first.last_status == 503
        assert first.attempt_log.count() == 4
        down["value"] = False
        clock.advance(timedelta(minutes=11))
        assert deliver_reports() == 6
    assert receiver.stats.clean
    for incident_id in ids:
        assert sequences(receiver, incident_id) == [1, 2, 3]


def test_a_retry_waits_for_its_back_off(city, receiver):
    receiver.respond = lambda report: 500
    make_reports(city)
    with clock.frozen(clock.now()):
        deliver_reports()
        deliver_reports()  # too early: no second attempt
        assert ReportAttempt.objects.count() == 1
        clock.advance(timedelta(seconds=6))
        deliver_reports()
        assert ReportAttempt.objects.count() == 2


def test_a_4xx_parks_the_report_and_holds_back_its_incident_until_resent(city, receiver):
    answers = {"value": 422}
    receiver.respond = lambda report: answers["value"] if report["sequence"] == 1 else 200
    blocked, free = make_reports(city, count_incidents=2)
    receiver.respond = lambda report: answers["value"] if report["incident_id"] == blocked else 200
    deliver_reports()
    parked = CityReport.objects.get(incident__incident_id=blocked, sequence=1)
    assert parked.state == "parked" and parked.last_status == 422
    assert sequences(receiver, blocked) == []
    assert sequences(receiver, free) == [1, 2, 3]
    office = Api(office_user())
    assert office.get("/city-reports/backlog").json()["parked"] == 1
    listed = office.get("/city-reports", state="parked").json()
    assert [r["id"] for r in listed] == [parked.pk]
    # The office fixes the cause and resends
    answers["value"] = 200
    assert Api(unit_user("ecology")).post(f"/city-reports/{parked.pk}/resend").status_code == 403
    assert office.post(f"/city-reports/{parked.pk}/resend").json()["state"] == "pending"
    assert office.post(f"/city-reports/{parked.pk}/resend").status_code == 409
    deliver_reports()
    assert sequences(receiver, blocked) == [1, 2, 3]
    assert receiver.stats.clean


def test_timeouts_and_connection_errors_are_retried(city, receiver, monkeypatch):
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.3)
    receiver.respond = lambda report: time.sleep(1) or 200
    make_reports(city)
    deliver_reports()
    report = CityReport.objects.get(sequence=1)
    assert (
        report.state == "pending" and report.last_status is None and "Timeout" in report.last_error
    )
    # connection refused: a port where nothing listens
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    city.peer.reports_url = f"http://127.0.0.1:{port}"
    city.peer.save()
    with clock.frozen(clock.now() + timedelta(minutes=1)):
        deliver_reports()
    report.refresh_from_db()
    assert (
        report.state == "pending"
        and report.attempts == 2
        and "ConnectionError" in report.last_error
    )


def test_no_city_address_or_no_key_means_reports_wait(city, receiver):
    make_reports(city)
    address = city.peer.reports_url
    city.peer.reports_url = ""
    city.peer.save()
    assert deliver_reports() == 0
    # with the address back but no active outbound key, nothing is sent either
    city.peer.reports_url = address
    city.peer.save()
    from liandong.citylink.models import PeerKey
    from liandong.citylink.peers import do_revoke_peer_key

    for key in PeerKey.objects.filter(direction="outbound"):
        do_revoke_peer_key(key=key)
    assert deliver_reports() == 0
    assert CityReport.objects.filter(state="pending", attempts=0).count() == 3
    assert receiver.stats.received == 0


def test_the_backlog_is_for_the_office_only(city):
    assert Api(unit_user("ecology")).get("/city-reports/backlog").status_code == 403
    assert Api(office_user(role="leadership")).get("/city-reports/backlog").status_code == 200

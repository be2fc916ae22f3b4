"""Several workers delivering at once on PostgreSQL: no report is sent twice at the same time and
none overtakes an earlier one of its incident."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from liandong.citylink.delivery import deliver_reports
from liandong.citylink.models import CityReport
from tests.citylink.conftest import incident_payload
from tests.factories import Api, office_user, unit_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set LIANDONG_DATABASE_URL=postgresql://…")


def test_three_workers_deliver_each_report_once_and_in_order(city, receiver):
    in_flight: set[str] = set()
    overlaps: list[str] = []
    lock = threading.Lock()

    def respond(report):
        with lock:
            if report["report_id"] in in_flight:
                overlaps.append(report["report_id"])
            in_flight.add(report["report_id"])
        time.sleep(0.01)
        with lock:
            in_flight.discard(report["report_id"])
        return 200

    receiver.respond = respond
    office, officer = Api(office_user()), Api(unit_user("ecology"))
    ids = []
    for _ in range(8):
        payload = incident_payload()
        city.post_incident(payload)
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

    def work():
        try:
            for _ in range(10):
                deliver_reports()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert overlaps == []
    assert receiver.stats.clean, (receiver.stats.gaps, receiver.stats.out_of_order)
    assert receiver.stats.duplicates == 0
    assert receiver.stats.received == 24
    for incident_id in ids:
        assert [
            r["sequence"] for r in receiver.stats.reports if r["incident_id"] == incident_id
        ] == [1, 2, 3]
    assert CityReport.objects.exclude(state="delivered").count() == 0

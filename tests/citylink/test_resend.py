"""The office resends a parked report: through the report table, with an event naming who."""

from __future__ import annotations

import pytest

from liandong.citylink.actions import do_resend_report
from liandong.citylink.delivery import Outcome, do_record_attempt
from liandong.citylink.models import CityReport
from liandong.common.errors import IllegalTransition
from liandong.incidents.models import Event
from tests.citylink.conftest import incident_payload
from tests.factories import Api, office_user


def test_a_resent_report_records_who_resent_it(city):
    payload = incident_payload()
    assert city.post_incident(payload).status_code == 201
    office = office_user()
    Api(office).post(
        f"/incidents/{payload['incident_id']}/dispatch",
        {
            "incident_class": "source_diversion",
            "level": 2,
            "category": "noise",
            "primary_unit": "ecology",
        },
    )
    report = CityReport.objects.get(incident__incident_id=payload["incident_id"], sequence=1)
    do_record_attempt(report=report, outcome=Outcome(status=422, error="bad", duration_ms=3))
    assert CityReport.objects.get(pk=report.pk).state == "parked"

    body = Api(office).post(f"/city-reports/{report.pk}/resend").json()

    assert body["state"] == "pending"
    event = Event.objects.get(incident__incident_id=payload["incident_id"], kind="report_resent")
    assert event.actor == office and event.data["report"] == report.report_id
    with pytest.raises(IllegalTransition):
        do_resend_report(actor=office, report=report)

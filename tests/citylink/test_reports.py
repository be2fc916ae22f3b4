"""Every step the contract lists produces its report, in the same transaction, numbered without gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from liandong import clock
from liandong.citylink.models import CityReport
from liandong.citylink.reports import report_body
from liandong.incidents import actions
from liandong.incidents.models import Incident
from tests.citylink.conftest import City, incident_payload
from tests.factories import Api, dispatched, instruction_of, office_user, unit_user


def reports_of(incident_id: str) -> list[CityReport]:
    return list(CityReport.objects.filter(incident__incident_id=incident_id).order_by("sequence"))


def city_incident(city: City, **overrides: object) -> str:
    payload = incident_payload(**overrides)
    assert city.post_incident(payload).status_code == 201
    return payload["incident_id"]


def dispatch(office: Api, incident_id: str, **body: object) -> dict:
    default = {
        "incident_class": "linked_disposal",
        "level": 1,
        "category": "pollution",
        "primary_unit": "ecology",
        "cooperating_units": ["enforcement"],
    }
    response = office.post(f"/incidents/{incident_id}/dispatch", {**default, **body})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_whole_case_reports_every_step_in_sequence(city, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")
    incident_id = city_incident(city)
    office, ecology, enforcement = (
        Api(office_user()),
        Api(unit_user("ecology")),
        Api(unit_user("enforcement")),
    )
    body = dispatch(office, incident_id)
    ids = {i["unit"]["code"]: i["id"] for i in body["instructions"]}
    enforcement.post(f"/instructions/{ids['enforcement']}/sign")
    clock.advance(timedelta(minutes=12))
    ecology.post(f"/instructions/{ids['ecology']}/sign")  # late
    ecology.post(f"/instructions/{ids['ecology']}/caller-contacts", {"reached": False})
    ecology.post(f"/instructions/{ids['ecology']}/caller-contacts", {"reached": True})
    ecology.post(f"/instructions/{ids['ecology']}/feedback", {"text": "已到场"})
    req = ecology.post(
        f"/instructions/{ids['ecology']}/extension-requests",
        {
            "progress": "取样送检",
            "reason": "检测需时",
            "proposed_due_at": "2026-12-04T09:00:00+08:00",
        },
    ).json()
    Api(unit_user("ecology", role="unit_leader")).post(
        f"/extension-requests/{req['id']}/leader-decision", {"approve": True}
    )
    office.post(f"/extension-requests/{req['id']}/decision", {"grant": True})
    for code, api in (("ecology", ecology), ("enforcement", enforcement)):
        api.post(f"/instructions/{ids[code]}/result", {"outcome": "resolved", "text": "已处理"})
        office.post(f"/instructions/{ids[code]}/accept-result")
    office.post(f"/incidents/{incident_id}/close", {"outcome": "已查处偷排"})
    office.post(f"/incidents/{incident_id}/callbacks", {"satisfaction": "satisfied"})

    reports = reports_of(incident_id)
    assert [r.sequence for r in reports] == list(range(1, len(reports) + 1))
    assert [(r.type, r.unit_code) for r in reports] == [
        ("dispatched", ""),
        ("signed", "enforcement"),
        ("signed", "ecology"),
        ("caller_contacted", "ecology"),  # only the reached attempt is reported
        ("feedback", "ecology"),
        ("extended", "ecology"),
        ("result", "ecology"),
        ("result", "enforcement"),
        ("closed", ""),
        ("closed", ""),  # again after the call-back, now with the satisfaction
    ]
    by_type = {}
    for r in reports:
        by_type.setdefault(r.type, []).append(r)
    dispatched_data = by_type["dispatched"][0].data
    assert dispatched_data["class"] == "linked_disposal" and dispatched_data["level"] == 1
    assert dispatched_data["primary"] == {"code": "ecology", "name": "区生态环境分局"}
    assert dispatched_data["cooperating"] == [{"code": "enforcement", "name": "区行政执法分局"}]
    assert {d["unit"] for d in dispatched_data["deadlines"]} == {"ecology", "enforcement"}
    assert by_type["signed"][0].data == {"late": False}
    assert by_type["signed"][1].data == {"late": True}
    assert by_type["caller_contacted"][0].data["minutes_after_signing"] is not None
    assert by_type["feedback"][0].data["late"] is False
    assert by_type["extended"][0].data == {
        "new_due_at": "2026-12-04T09:00:00+08:00",
        "reason": "检测需时",
    }
    assert by_type["result"][0].data["outcome"] == "resolved"
    assert by_type["closed"][0].data == {"outcome": "已查处偷排", "satisfaction": None}
    assert by_type["closed"][1].data == {"outcome": "已查处偷排", "satisfaction": "satisfied"}
    body = report_body(reports[2])
    assert set(body) == {
        "report_id",
        "incident_id",
        "sequence",
        "type",
        "occurred_at",
        "unit",
        "text",
        "data",
    }
    assert body["unit"] == {"code": "ecology", "name": "区生态环境分局"}
    assert body["occurred_at"].endswith("+08:00")
    assert len({r.report_id for r in reports}) == len(reports)


def test_returned_and_withdrawn_are_reported(city):
    office = Api(office_user())
    returned = city_incident(city)
    office.post(f"/incidents/{returned}/return-to-city", {"reason": "事发地属皇姑区"})
    assert [(r.type, r.data) for r in reports_of(returned)] == [
        ("returned", {"reason": "事发地属皇姑区"})
    ]
    withdrawn = city_incident(city)
    dispatch(office, withdrawn)
    city.post_message(
        withdrawn,
        {
            "message_id": "m1",
            "type": "withdraw",
            "sent_at": clock.now().isoformat(),
            "text": "报警人已自行解决",
        },
    )
    assert [r.type for r in reports_of(withdrawn)] == ["dispatched", "withdrawn"]


def test_reassignment_and_added_units_report_the_new_composition(city):
    office = Api(office_user())
    incident_id = city_incident(city)
    body = dispatch(office, incident_id, incident_class="source_diversion", cooperating_units=[])
    office.post(
        f"/instructions/{body['instructions'][0]['id']}/reassign",
        {"unit": "enforcement", "reason": "商业噪声"},
    )
    office.post(f"/incidents/{incident_id}/units", {"units": ["st-lingxi"]})
    reports = reports_of(incident_id)
    assert [r.type for r in reports] == ["dispatched", "dispatched", "dispatched"]
    assert reports[1].data["primary"]["code"] == "enforcement"
    assert [c["code"] for c in reports[2].data["cooperating"]] == ["st-lingxi"]


def test_a_step_that_rolls_back_leaves_no_report(city):
    incident_id = city_incident(city)
    incident = Incident.objects.get(incident_id=incident_id)
    from liandong.units.models import Category, Unit

    with pytest.raises(RuntimeError), transaction.atomic():
        actions.do_dispatch_incident(
            actor=office_user(),
            incident=incident,
            incident_class="source_diversion",
            level=2,
            category=Category.objects.get(code="noise"),
            primary_unit=Unit.objects.get(code="ecology"),
        )
        assert len(reports_of(incident_id)) == 1
        raise RuntimeError("the process dies before commit")
    assert reports_of(incident_id) == []
    assert Incident.objects.get(incident_id=incident_id).status == "new"


def test_incidents_entered_by_hand_are_not_reported_to_the_city(db):
    incident = dispatched()
    Api(unit_user("housing")).post(f"/instructions/{instruction_of(incident, 'housing').pk}/sign")
    assert CityReport.objects.count() == 0

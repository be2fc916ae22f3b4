"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says:
GET /incidents/{id}.

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from liandong import clock
from liandong.incidents import actions
from tests.citylink.inbound.support import assert_error, dispatch, msg, received
from tests.factories import instruction_of, new_incident, unit_user

# =================================================================================================
# GET /incidents/{id}
# =================================================================================================


def test_given_an_unknown_id_when_asked_then_404_unknown_incident(city):
    assert_error(city.get_incident("SY-NOT-KNOWN"), 404, "unknown_incident")


def test_given_a_manual_incident_id_when_asked_then_404_unknown_incident(city):
    assert_error(city.get_incident(new_incident().incident_id), 404, "unknown_incident")


def test_given_a_new_incident_when_asked_then_status_and_null_class_and_level(city):
    incident = received(city)
    response = city.get_incident(incident.incident_id)
    assert response.status_code == 200
    body = response.json()
    assert body["incident_id"] == incident.incident_id
    assert body["status"] == "new"
    assert "class" in body and body["class"] is None
    assert "level" in body and body["level"] is None
    assert body["units"] == []
    assert body["reports"] == []


def test_given_a_dispatched_incident_when_asked_then_units_deadlines_and_reports(city, frozen_at):
    frozen_at("2026-12-01T10:00:00+08:00")  # a Tuesday morning
    incident = dispatch(received(city), level=2)
    body = city.get_incident(incident.incident_id).json()
    assert body["status"] == "dispatched"
    assert body["class"] == "linked_disposal"
    assert body["level"] == 2
    units = {u["code"]: u for u in body["units"]}
    assert {code: u["role"] for code, u in units.items()} == {
        "housing": "primary",
        "urban-constr": "cooperating",
    }
    assert all(u["state"] == "pending_sign" for u in units.values())
    for unit in units.values():
        assert unit["deadlines"], unit
        for deadline in unit["deadlines"]:
            assert deadline["state"] == "open"
            due = datetime.fromisoformat(deadline["due_at"])
            assert due.utcoffset() is not None and due > clock.now()
    reports = body["reports"]
    assert [(r["type"], r["sequence"]) for r in reports] == [("dispatched", 1)]


def test_given_one_unit_signed_on_time_and_one_late_then_met_and_missed(city, frozen_at):
    frozen_at("2026-12-01T10:00:00+08:00")
    incident = dispatch(received(city), level=2)
    actions.do_sign_instruction(
        actor=unit_user("housing"), instruction=instruction_of(incident, "housing")
    )
    clock.advance(timedelta(days=2))
    actions.do_sign_instruction(
        actor=unit_user("urban-constr"), instruction=instruction_of(incident, "urban-constr")
    )
    body = city.get_incident(incident.incident_id).json()
    units = {u["code"]: u for u in body["units"]}
    sign = {
        code: next(d for d in u["deadlines"] if d.get("kind") == "sign")
        for code, u in units.items()
    }
    assert sign["housing"]["state"] == "met"
    assert sign["urban-constr"]["state"] == "missed"
    assert units["housing"]["state"] == "signed"
    assert [r["sequence"] for r in body["reports"]] == list(range(1, len(body["reports"]) + 1))
    assert [r["type"] for r in body["reports"]][:3] == ["dispatched", "signed", "signed"]


def test_given_a_withdrawn_incident_when_asked_then_its_status_says_so(city):
    incident = dispatch(received(city))
    city.post_message(incident.incident_id, msg("withdraw"))
    body = city.get_incident(incident.incident_id).json()
    assert body["status"] == "withdrawn"
    assert all(u["state"] == "cancelled" for u in body["units"])
    assert "withdrawn" in [r["type"] for r in body["reports"]]

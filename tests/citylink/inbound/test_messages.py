"""City → district over HTTP (/api/city/v1/), rule by rule as shared/spec/city-interface.md says:
messages (supplement, urge, withdraw).

Each test plays the city with the `city` fixture (correctly signed requests unless the test says
otherwise) and checks the answer, the error body and what was (not) stored.
"""

from __future__ import annotations

import json

import pytest

from liandong.citylink.models import InboundMessage
from liandong.incidents import actions
from liandong.incidents.models import Deadline, Event, Instruction, Notification, Urge
from tests.citylink.inbound.support import (
    assert_error,
    close,
    dispatch,
    error_fields,
    msg,
    received,
    snapshot,
)
from tests.citylink.test_contract import MESSAGE_VIOLATIONS
from tests.citylink.test_contract import message as contract_message
from tests.factories import instruction_of, new_incident, unit_user

# =================================================================================================
# Messages
# =================================================================================================


def test_given_a_supplement_then_201_an_event_and_every_holder_and_the_office_notified(city):
    incident = dispatch(received(city))
    body = msg("supplement", text="报警人补充：三楼东侧，水很烫。")
    response = city.post_message(incident.incident_id, body)
    assert response.status_code == 201
    assert response.json() == {"message_id": body["message_id"], "status": "accepted"}
    events = Event.objects.filter(incident=incident, kind="supplemented")
    assert events.count() == 1
    assert "三楼东侧" in events.get().summary or "三楼东侧" in json.dumps(
        events.get().data, ensure_ascii=False
    )
    notified = set(
        Notification.objects.filter(incident=incident, kind="supplement").values_list(
            "unit__code", flat=True
        )
    )
    assert notified == {"housing", "urban-constr", "office"}
    stored = InboundMessage.objects.get(incident=incident, message_id=body["message_id"])
    assert stored.type == "supplement"


def test_given_a_supplement_on_an_undispatched_incident_then_the_office_is_told(city):
    incident = received(city)
    assert city.post_message(incident.incident_id, msg("supplement")).status_code == 201
    assert Event.objects.filter(incident=incident, kind="supplemented").count() == 1
    assert Notification.objects.filter(
        incident=incident, kind="supplement", unit__code="office"
    ).exists()


def test_given_an_urge_then_each_unit_with_an_open_instruction_gets_a_counted_city_urge(city):
    incident = dispatch(received(city))
    response = city.post_message(incident.incident_id, msg("urge", text="报警人再次来电催促"))
    assert response.status_code == 201
    urges = Urge.objects.filter(instruction__incident=incident)
    assert urges.count() == 2
    assert all(u.by_city for u in urges)
    assert sorted(u.instruction.unit.code for u in urges) == ["housing", "urban-constr"]
    notified = set(
        Notification.objects.filter(incident=incident, kind="urged").values_list(
            "unit__code", flat=True
        )
    )
    assert {"housing", "urban-constr"} <= notified


def test_given_an_urge_without_text_then_201(city):
    incident = dispatch(received(city))
    response = city.post_message(incident.incident_id, msg("urge"))
    assert response.status_code == 201
    assert Urge.objects.filter(instruction__incident=incident, by_city=True).count() == 2


def test_given_an_urge_with_a_long_text_within_2000_characters_then_201(lenient):
    incident = dispatch(received(lenient))
    response = lenient.post_message(incident.incident_id, msg("urge", text="催" * 1500))
    assert response.status_code == 201, response.content[:300]
    assert Urge.objects.filter(instruction__incident=incident, by_city=True).count() == 2


def test_given_an_urge_on_an_undispatched_incident_then_an_event_and_no_urge_rows(city):
    incident = received(city)
    response = city.post_message(incident.incident_id, msg("urge", text="再次来电"))
    assert response.status_code == 201
    assert Event.objects.filter(incident=incident, kind="urged").count() == 1
    assert Urge.objects.filter(instruction__incident=incident).count() == 0


def test_given_a_unit_whose_result_awaits_review_when_urged_then_the_urge_still_reaches_it(city):
    incident = dispatch(received(city))
    urban = unit_user("urban-constr")
    coop = instruction_of(incident, "urban-constr")
    actions.do_sign_instruction(actor=urban, instruction=coop)
    actions.do_report_result(actor=urban, instruction=coop, outcome="resolved", text="已配合处置")
    assert Instruction.objects.get(pk=coop.pk).state == "result_reported"
    assert city.post_message(incident.incident_id, msg("urge", text="再次来电")).status_code == 201
    reached = set(
        Notification.objects.filter(incident=incident, kind="urged").values_list(
            "unit__code", flat=True
        )
    )
    # The contract: an urge "reaches the units that hold it"; urban-constr still holds it.
    assert {"housing", "urban-constr"} <= reached


def test_given_a_withdraw_then_the_incident_stops_and_every_holder_is_told(city):
    incident = dispatch(received(city))
    housing = unit_user("housing")
    actions.do_sign_instruction(actor=housing, instruction=instruction_of(incident, "housing"))
    met_before = set(
        Deadline.objects.filter(instruction__incident=incident, state="met").values_list(
            "pk", flat=True
        )
    )
    assert met_before  # the sign deadline of housing
    response = city.post_message(incident.incident_id, msg("withdraw", text="报警人已自行处理"))
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.status == "withdrawn"
    assert set(incident.instructions.values_list("state", flat=True)) == {"cancelled"}
    deadlines = Deadline.objects.filter(instruction__incident=incident)
    assert not deadlines.filter(state="open").exists()
    assert deadlines.filter(state="stopped").exists()
    assert set(deadlines.filter(state="met").values_list("pk", flat=True)) == met_before
    told = set(
        Notification.objects.filter(incident=incident, kind="withdrawn").values_list(
            "unit__code", flat=True
        )
    )
    assert told == {"housing", "urban-constr"}


def test_given_a_withdraw_of_an_undispatched_incident_then_it_is_withdrawn(city):
    incident = received(city)
    assert city.post_message(incident.incident_id, msg("withdraw")).status_code == 201
    incident.refresh_from_db()
    assert incident.status == "withdrawn"


@pytest.mark.parametrize("type_", ["supplement", "urge", "withdraw"])
def test_given_a_repeated_message_id_with_the_same_content_then_200_and_applied_once(city, type_):
    incident = dispatch(received(city))
    body = msg(type_, text="同一条消息")
    first = city.post_message(incident.incident_id, body)
    assert first.status_code == 201
    after_first = snapshot()
    again = city.post_message(incident.incident_id, body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert snapshot() == after_first


def test_given_a_repeated_message_after_the_incident_closed_then_still_200(city):
    incident = received(city)
    body = msg("supplement")
    assert city.post_message(incident.incident_id, body).status_code == 201
    close(incident)
    assert city.post_message(incident.incident_id, body).status_code == 200


@pytest.mark.parametrize("type_", ["supplement", "urge", "withdraw"])
def test_given_a_message_id_reused_with_other_content_then_409_and_not_applied(city, type_):
    incident = dispatch(received(city))
    body = msg("supplement", text="第一次")
    assert city.post_message(incident.incident_id, body).status_code == 201
    before = snapshot()
    other = {**body, "type": type_, "text": "内容不同"}
    assert_error(city.post_message(incident.incident_id, other), 409, "conflict")
    assert snapshot() == before
    incident.refresh_from_db()
    assert incident.status == "dispatched"


def test_given_the_same_message_id_on_another_incident_then_it_is_a_new_message(city):
    one, two = received(city), received(city)
    body = msg("supplement")
    assert city.post_message(one.incident_id, body).status_code == 201
    assert city.post_message(two.incident_id, body).status_code == 201
    assert InboundMessage.objects.filter(message_id=body["message_id"]).count() == 2


@pytest.mark.parametrize("type_", ["supplement", "urge", "withdraw"])
def test_given_an_unknown_incident_when_a_message_arrives_then_404_unknown_incident(city, type_):
    before = snapshot()
    assert_error(city.post_message("SY-NOT-KNOWN", msg(type_)), 404, "unknown_incident")
    assert snapshot() == before


def test_given_a_manual_incident_id_when_a_message_arrives_then_404_unknown_incident(city):
    manual = new_incident()
    before = snapshot()
    assert_error(city.post_message(manual.incident_id, msg("supplement")), 404, "unknown_incident")
    assert snapshot() == before


@pytest.mark.parametrize("type_", ["supplement", "urge"])
def test_given_a_closed_incident_when_supplement_or_urge_arrives_then_409_closed(city, type_):
    incident = close(received(city))
    before = snapshot()
    assert_error(city.post_message(incident.incident_id, msg(type_)), 409, "closed")
    assert snapshot() == before


@pytest.mark.parametrize("type_", ["supplement", "withdraw"])
@pytest.mark.parametrize("text", ["__missing__", None, ""])
def test_given_supplement_or_withdraw_without_text_then_422_naming_text(city, type_, text):
    incident = received(city)
    body = msg(type_)
    if text == "__missing__":
        body.pop("text")
    else:
        body["text"] = text
    before = snapshot()
    response = city.post_message(incident.incident_id, body)
    assert_error(response, 422, "invalid")
    assert error_fields(response) == ["text"]
    assert snapshot() == before


@pytest.mark.parametrize("value", ["cancel", "SUPPLEMENT", "", 1, None, ["urge"]])
def test_given_a_bad_message_type_then_422_naming_type(city, value):
    incident = received(city)
    before = snapshot()
    response = city.post_message(incident.incident_id, msg("supplement", type=value))
    assert_error(response, 422, "invalid")
    assert error_fields(response) == ["type"]
    assert snapshot() == before


@pytest.mark.parametrize(("field", "overrides"), MESSAGE_VIOLATIONS)
def test_given_one_rule_broken_in_a_message_then_422_naming_that_field_only(city, field, overrides):
    incident = received(city)
    before = snapshot()
    response = city.post_message(incident.incident_id, contract_message(**overrides))
    assert_error(response, 422, "invalid")
    assert error_fields(response) == [field]
    assert snapshot() == before

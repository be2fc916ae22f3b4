"""Instruction rules beyond the table (the caller contact before a result, sent-back results,
acceptance) and cancellation through the incident's withdrawal.
"""

from __future__ import annotations

import pytest

from liandong.incidents import actions
from liandong.incidents.models import Deadline, ExtensionRequest, JoinRequest, ReturnRequest
from tests.api.transitions.support import (
    COOPERATING,
    Case,
    assert_conflict,
    instruction_in,
    instruction_of_any,
    snapshot,
)
from tests.factories import dispatched, instruction_of

# --- instruction rules beyond the table -----------------------------------------------------------


@pytest.mark.parametrize("state", ["signed", "in_progress"])
def test_given_the_primary_has_not_contacted_the_caller_when_it_reports_a_result_then_409_and_nothing_changes(
    db, state: str
) -> None:
    case = instruction_in(state)
    events_before = case.events()
    before = snapshot()

    response = case.unit().post(case.inst("result"), {"outcome": "resolved", "text": "已处置"})

    assert_conflict(response, code="caller_not_contacted", says=("联系报警人",))
    assert case.state() == state
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_caller_contact_that_was_not_reached_when_the_primary_reports_then_the_result_is_taken(
    db,
) -> None:
    case = instruction_in("signed")
    actions.do_record_caller_contact(
        actor=case.user(), instruction=case.instruction(), reached=False, note="无人接听"
    )

    response = case.unit().post(case.inst("result"), {"outcome": "resolved", "text": "已处置"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "result_reported"


def test_given_a_cooperating_unit_when_it_records_a_caller_contact_then_409_and_nothing_changes(
    db,
) -> None:
    case = Case(dispatched())
    coop = instruction_of(case.incident, COOPERATING).pk
    case.sign(COOPERATING, coop)
    events_before = case.events()
    before = snapshot()

    response = case.unit(COOPERATING).post(case.inst("caller-contacts", coop), {"reached": True})

    assert_conflict(response, code="not_primary")
    assert case.state(coop) == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_cooperating_unit_when_it_reports_without_a_caller_contact_then_the_result_is_taken(
    db,
) -> None:
    case = Case(dispatched())
    coop = instruction_of(case.incident, COOPERATING).pk
    case.sign(COOPERATING, coop)

    response = case.unit(COOPERATING).post(
        case.inst("result", coop), {"outcome": "resolved", "text": "已配合处置"}
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "result_reported"


def test_given_a_result_sent_back_when_the_unit_reports_again_then_it_is_result_reported(
    db,
) -> None:
    case = instruction_in("result_reported")
    actions.do_send_back_result(
        actor=case.dispatcher, instruction=case.instruction(), reason="现场仍有渗水"
    )
    assert case.state() == "in_progress"

    response = case.unit().post(case.inst("result"), {"outcome": "resolved", "text": "已复查"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "result_reported"


def test_given_a_result_reported_when_the_office_accepts_then_deadlines_stop_and_pending_requests_end(
    db,
) -> None:
    case = instruction_in("signed")
    join = case.request_join()
    extension = case.request_extension()
    case.contact()
    case.report()

    response = case.office.post(case.inst("accept-result"), {})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "done"
    assert JoinRequest.objects.get(pk=join).state == "cancelled"
    assert ExtensionRequest.objects.get(pk=extension).state == "cancelled"
    assert not Deadline.objects.filter(instruction_id=case.instruction_id, state="open").exists()


# --- cancel (through the incident's withdrawal) ---------------------------------------------------


@pytest.mark.parametrize(
    "state", ["pending_sign", "signed", "in_progress", "result_reported", "return_requested"]
)
def test_given_an_open_instruction_when_the_incident_is_withdrawn_then_it_is_cancelled(
    db, state: str
) -> None:
    case = instruction_in(state)
    events_before = case.events()

    response = case.office.post(case.inc("withdraw"), {"reason": "报警人已自行解决"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "withdrawn"
    assert case.state() == "cancelled"
    assert case.state(instruction_of_any(case, COOPERATING)) == "cancelled"
    assert not Deadline.objects.filter(instruction_id=case.instruction_id, state="open").exists()
    assert not ReturnRequest.objects.filter(
        instruction_id=case.instruction_id, state="pending_office"
    ).exists()
    assert case.events() > events_before


@pytest.mark.parametrize("state", ["done", "reassigned"])
def test_given_a_finished_instruction_when_the_incident_is_withdrawn_then_it_keeps_its_state(
    db, state: str
) -> None:
    case = instruction_in(state)

    response = case.office.post(case.inc("withdraw"), {"reason": "报警人已自行解决"})

    assert response.status_code == 200, response.content.decode()
    assert case.state() == state
    assert case.state(instruction_of_any(case, COOPERATING)) == "cancelled"

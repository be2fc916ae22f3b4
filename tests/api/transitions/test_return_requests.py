"""Return requests: the office insists or reassigns; a decided or cancelled request cannot be decided
again.
"""

from __future__ import annotations

import pytest

from liandong.incidents import actions
from liandong.incidents.models import Instruction, ReturnRequest
from tests.api.transitions.support import (
    OTHER,
    REFUSED_OR_APPROVED,
    assert_conflict,
    instruction_in,
    snapshot,
)

# --- return requests: insist / reassign decisions -------------------------------------------------


@pytest.mark.parametrize("state", ["pending_sign", "signed", "in_progress"])
def test_given_a_return_request_when_the_office_insists_then_the_instruction_goes_back_to_its_state(
    db, state: str
) -> None:
    case = instruction_in(state)
    request_id = case.request_return()
    assert case.state() == "return_requested"
    events_before = case.events()

    response = case.office.post(
        f"/return-requests/{request_id}/decision", {"decision": "insist", "note": "属本单位职责"}
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "refused"
    assert case.state() == state
    assert case.events() > events_before


def test_given_a_return_request_when_the_office_reassigns_then_a_new_instruction_goes_to_the_unit(
    db,
) -> None:
    case = instruction_in("signed")
    request_id = case.request_return()

    response = case.office.post(
        f"/return-requests/{request_id}/decision",
        {"decision": "reassign", "unit": OTHER, "note": "改由应急局处置"},
    )

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["state"] == "approved"
    assert case.state() == "reassigned"
    new = Instruction.objects.get(pk=body["reassigned_to"])
    assert (new.unit.code, new.state, new.reassigned_from_id) == (
        OTHER,
        "pending_sign",
        case.instruction_id,
    )


def test_given_a_return_request_when_the_office_reassigns_the_instruction_directly_then_the_request_is_approved(
    db,
) -> None:
    case = instruction_in("pending_sign")
    request_id = case.request_return()

    response = case.office.post(case.inst("reassign"), {"unit": OTHER, "reason": "改派"})

    assert response.status_code == 201, response.content.decode()
    assert ReturnRequest.objects.get(pk=request_id).state == "approved"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(first, second, id=f"{first}-then-{second}")
        for first in ("insist", "reassign")
        for second in ("insist", "reassign")
    ],
)
def test_given_a_decided_return_request_when_the_office_decides_again_then_409_and_nothing_changes(
    db, first: str, second: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_return()
    if first == "insist":
        actions.do_insist_on_instruction(
            actor=case.dispatcher,
            request=ReturnRequest.objects.get(pk=request_id),
            note="属本单位职责",
        )
    else:
        case.reassign()
    assert ReturnRequest.objects.get(pk=request_id).state == REFUSED_OR_APPROVED[first]
    state_after_first = case.state()
    events_before = case.events()
    before = snapshot()

    second_body = {"decision": second, "note": "再次审核"}
    if second == "reassign":
        second_body["unit"] = "fire"
    response = case.office.post(f"/return-requests/{request_id}/decision", second_body)

    assert_conflict(response)
    assert case.state() == state_after_first
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize("decision", ["insist", "reassign"])
def test_given_a_return_request_cancelled_by_withdrawal_when_the_office_decides_then_409_and_nothing_changes(
    db, decision: str
) -> None:
    case = instruction_in("pending_sign")
    request_id = case.request_return()
    case.withdraw()
    assert ReturnRequest.objects.get(pk=request_id).state == "cancelled"
    events_before = case.events()
    before = snapshot()

    body = {
        "decision": decision,
        "note": "处理",
        **({"unit": OTHER} if decision == "reassign" else {}),
    }
    response = case.office.post(f"/return-requests/{request_id}/decision", body)

    assert_conflict(response)
    assert case.state() == "cancelled"
    assert case.events() == events_before
    assert snapshot() == before

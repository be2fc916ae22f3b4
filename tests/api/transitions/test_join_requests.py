"""Join requests (提请联动): the office approves or refuses, once."""

from __future__ import annotations

import pytest

from liandong.incidents import actions
from liandong.incidents.models import Instruction, JoinRequest
from tests.api.transitions.support import (
    OTHER,
    REQUEST_LABELS,
    assert_conflict,
    instruction_in,
    snapshot,
)
from tests.factories import instruction_of

# --- join requests ---------------------------------------------------------------------------------


def test_given_a_join_request_when_the_office_approves_then_the_units_are_added(db) -> None:
    case = instruction_in("in_progress")
    request_id = case.request_join()

    response = case.office.post(f"/join-requests/{request_id}/decision", {"approve": True})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "approved"
    added = instruction_of(case.incident, OTHER)
    assert (added.role, added.state) == ("cooperating", "pending_sign")
    assert case.state() == "in_progress"


def test_given_a_join_request_when_the_office_refuses_with_a_reason_then_it_is_refused(db) -> None:
    case = instruction_in("signed")
    request_id = case.request_join()

    response = case.office.post(
        f"/join-requests/{request_id}/decision", {"approve": False, "note": "本单位可自行处置"}
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "refused"
    assert not Instruction.objects.filter(incident=case.incident, unit__code=OTHER).exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            first,
            second,
            id=f"{'approve' if first else 'refuse'}-then-{'approve' if second else 'refuse'}",
        )
        for first in (True, False)
        for second in (True, False)
    ],
)
def test_given_a_decided_join_request_when_the_office_decides_again_then_409_and_nothing_changes(
    db, first: bool, second: bool
) -> None:
    case = instruction_in("signed")
    request_id = case.request_join()
    actions.do_decide_join_request(
        actor=case.dispatcher,
        request=JoinRequest.objects.get(pk=request_id),
        approve=first,
        note="意见",
    )
    events_before = case.events()
    before = snapshot()

    response = case.office.post(
        f"/join-requests/{request_id}/decision",
        {"approve": second, "units": ["fire"], "note": "再次审核"},
    )

    first_label = REQUEST_LABELS["approved" if first else "refused"]
    assert_conflict(response, says=("提请联动", first_label))
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_join_request_cancelled_by_acceptance_when_the_office_decides_then_409_and_nothing_changes(
    db,
) -> None:
    case = instruction_in("in_progress")
    request_id = case.request_join()
    case.contact()
    case.report()
    case.accept()
    assert JoinRequest.objects.get(pk=request_id).state == "cancelled"
    events_before = case.events()
    before = snapshot()

    response = case.office.post(f"/join-requests/{request_id}/decision", {"approve": True})

    assert_conflict(response, says=(REQUEST_LABELS["cancelled"],))
    assert case.state() == "done"
    assert case.events() == events_before
    assert snapshot() == before

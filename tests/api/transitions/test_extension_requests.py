"""Extension requests: the unit asks, its leader decides, then the office; every decision in the wrong
state is refused and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from liandong import clock
from liandong.incidents.models import ExtensionRequest
from tests.api.transitions.support import (
    INSTRUCTION_ACTION_LABELS,
    INSTRUCTION_LABELS,
    REQUEST_LABELS,
    assert_conflict,
    instruction_in,
    leader_decision,
    office_decision,
    snapshot,
)

# --- extension requests: leader, then office --------------------------------------------------------


@pytest.mark.parametrize("state", ["signed", "in_progress"])
def test_given_a_working_instruction_when_the_unit_asks_for_an_extension_then_it_waits_for_its_leader(
    db, state: str
) -> None:
    case = instruction_in(state)

    response = case.unit().post(case.inst("extension-requests"), case.extension_body())

    assert response.status_code == 201, response.content.decode()
    assert response.json()["state"] == "pending_leader"
    assert case.state() == state


def test_given_an_extension_not_later_than_the_deadline_when_the_unit_asks_then_422(db) -> None:
    case = instruction_in("signed")
    before = snapshot()

    response = case.unit().post(
        case.inst("extension-requests"), case.extension_body(later_by=timedelta(0))
    )

    assert response.status_code == 422, response.content.decode()
    assert "proposed_due_at" in [f["field"] for f in response.json()["error"]["fields"]]
    assert snapshot() == before


def test_given_a_pending_extension_request_when_the_unit_asks_again_then_409_and_nothing_changes(
    db,
) -> None:
    case = instruction_in("signed")
    case.request_extension()
    events_before = case.events()
    before = snapshot()

    response = case.unit().post(case.inst("extension-requests"), case.extension_body())

    assert_conflict(response, code="pending_request")
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_the_result_deadline_has_passed_when_the_unit_asks_for_an_extension_then_409(
    db, frozen_at
) -> None:
    frozen_at("2026-03-02T09:00:00+08:00")
    case = instruction_in("signed")
    clock.advance(timedelta(days=14))
    assert clock.now() > case.result_due()
    events_before = case.events()
    before = snapshot()

    body = case.extension_body()
    body["proposed_due_at"] = (clock.now() + timedelta(days=2)).isoformat()
    response = case.unit().post(case.inst("extension-requests"), body)

    assert_conflict(response, code="deadline_passed")
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize("approve", [True, False])
def test_given_an_extension_request_when_the_unit_leader_decides_then_it_moves_on(
    db, approve: bool
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()

    response = leader_decision(case, request_id, approve)

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == ("pending_office" if approve else "rejected_by_leader")


@pytest.mark.parametrize("state", ["signed", "in_progress", "result_reported"])
def test_given_a_leader_approved_extension_when_the_office_grants_then_the_result_deadline_moves(
    db, state: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    proposed = ExtensionRequest.objects.get(pk=request_id).proposed_due_at
    case.leader_decides(request_id, True)
    if state in ("in_progress", "result_reported"):
        case.feedback()
    if state == "result_reported":
        case.contact()
        case.report()
    assert case.state() == state

    response = office_decision(case, request_id, True)

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "approved"
    assert case.result_due() == proposed
    assert case.state() == state


def test_given_a_leader_approved_extension_when_the_office_refuses_then_it_is_refused(db) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    due = case.result_due()
    case.leader_decides(request_id, True)

    response = office_decision(case, request_id, False)

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "refused"
    assert case.result_due() == due


EXTENSION_REFUSALS = [
    # (name, steps before the refused decision, the refused decision, state label named)
    ("office-before-leader", [], ("office", True), "pending_leader"),
    ("office-refuse-before-leader", [], ("office", False), "pending_leader"),
    ("leader-twice-approve", [("leader", True)], ("leader", True), "pending_office"),
    ("leader-twice-reject", [("leader", False)], ("leader", False), "rejected_by_leader"),
    ("leader-after-reject", [("leader", False)], ("leader", True), "rejected_by_leader"),
    ("office-after-leader-reject", [("leader", False)], ("office", True), "rejected_by_leader"),
    ("office-twice-grant", [("leader", True), ("office", True)], ("office", True), "approved"),
    ("office-twice-refuse", [("leader", True), ("office", False)], ("office", False), "refused"),
    (
        "office-refuse-after-grant",
        [("leader", True), ("office", True)],
        ("office", False),
        "approved",
    ),
    (
        "office-grant-after-refuse",
        [("leader", True), ("office", False)],
        ("office", True),
        "refused",
    ),
    ("leader-after-office", [("leader", True), ("office", True)], ("leader", True), "approved"),
]


@pytest.mark.parametrize(
    ("steps", "refused", "label"),
    [pytest.param(s, r, label, id=name) for name, s, r, label in EXTENSION_REFUSALS],
)
def test_given_an_extension_request_when_a_decision_comes_in_the_wrong_state_then_409_and_nothing_changes(
    db, steps: list[tuple[str, bool]], refused: tuple[str, bool], label: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    for who, yes in steps:
        if who == "leader":
            case.leader_decides(request_id, yes)
        else:
            case.office_decides(request_id, yes)
    events_before = case.events()
    before = snapshot()

    who, yes = refused
    decide = leader_decision if who == "leader" else office_decision
    response = decide(case, request_id, yes)

    assert_conflict(response, says=("延期申请", REQUEST_LABELS[label]))
    assert ExtensionRequest.objects.get(pk=request_id).state == label
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_the_instruction_was_returned_when_the_office_decides_its_extension_then_409_and_nothing_changes(
    db,
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    case.leader_decides(request_id, True)
    case.request_return()
    events_before = case.events()
    before = snapshot()

    response = office_decision(case, request_id, True)

    assert_conflict(
        response,
        says=(
            "指令",
            INSTRUCTION_LABELS["return_requested"],
            INSTRUCTION_ACTION_LABELS["decide_extension"],
        ),
    )
    assert ExtensionRequest.objects.get(pk=request_id).state == "pending_office"
    assert case.state() == "return_requested"
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize("finish", ["done", "reassigned", "cancelled"])
@pytest.mark.parametrize("who", ["leader", "office"])
def test_given_the_instruction_finished_when_its_extension_is_decided_then_409_and_nothing_changes(
    db, finish: str, who: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    if who == "office":
        case.leader_decides(request_id, True)
    if finish == "done":
        case.contact()
        case.report()
        case.accept()
    elif finish == "reassigned":
        case.reassign()
    else:
        case.withdraw()
    assert ExtensionRequest.objects.get(pk=request_id).state == "cancelled"
    events_before = case.events()
    before = snapshot()

    decide = leader_decision if who == "leader" else office_decision
    response = decide(case, request_id, True)

    assert_conflict(response, says=(REQUEST_LABELS["cancelled"],))
    assert case.state() == finish
    assert case.events() == events_before
    assert snapshot() == before

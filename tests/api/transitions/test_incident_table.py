"""The incident machine, one row per action the API exposes, and the incident rules beyond the table
(closing with unfinished instructions, reopening after a call back, merging repeats).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from liandong.incidents.models import Incident, Instruction
from tests.api.transitions.support import (
    DISPATCH_BODY,
    INCIDENT_ACTION_LABELS,
    INCIDENT_LABELS,
    INCIDENT_STATES,
    OTHER,
    PRIMARY,
    Case,
    assert_conflict,
    incident_in,
    instruction_in,
    snapshot,
)
from tests.factories import instruction_of, new_incident

# --- the incident machine ------------------------------------------------------------------------


def _merge_body(case: Case) -> dict[str, Any]:
    return {"into": new_incident().incident_id}


@dataclass(frozen=True)
class IncidentAction:
    path: str
    body: Callable[[Case], dict[str, Any]]
    status: int
    allowed: dict[str, str]  # starting status -> status after
    prepare: Callable[[Case], Any] | None = None


def _finish_all(case: Case) -> None:
    case.finish_primary()
    case.finish_cooperating()


INCIDENT_ACTIONS = {
    "dispatch": IncidentAction(
        "dispatch", lambda c: dict(DISPATCH_BODY), 200, {"new": "dispatched"}
    ),
    "return_to_city": IncidentAction(
        "return-to-city", lambda c: {"reason": "非本区管辖"}, 200, {"new": "returned"}
    ),
    "merge": IncidentAction("merge", _merge_body, 200, {"new": "merged"}),
    "add_units": IncidentAction(
        "units",
        lambda c: {"units": [OTHER], "reason": "需应急局协助"},
        200,
        {"dispatched": "dispatched"},
    ),
    "close": IncidentAction(
        "close", lambda c: {"outcome": "已处置完毕"}, 200, {"dispatched": "closed"}, _finish_all
    ),
    "call_back": IncidentAction(
        "callbacks",
        lambda c: {"satisfaction": "satisfied", "note": "很满意"},
        201,
        {"closed": "closed"},
    ),
    "withdraw": IncidentAction(
        "withdraw",
        lambda c: {"reason": "报警人已自行解决"},
        200,
        {"new": "withdrawn", "dispatched": "withdrawn"},
    ),
}

INCIDENT_ALLOWED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INCIDENT_ACTIONS.items()
    for state in spec.allowed
]
INCIDENT_REFUSED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INCIDENT_ACTIONS.items()
    for state in INCIDENT_STATES
    if state not in spec.allowed
]


@pytest.mark.parametrize(("action", "state"), INCIDENT_ALLOWED)
def test_given_an_incident_in_the_right_state_when_the_action_is_posted_then_2xx_and_new_status(
    db, action: str, state: str
) -> None:
    case = incident_in(state)
    spec = INCIDENT_ACTIONS[action]
    if spec.prepare is not None:
        spec.prepare(case)
    events_before = case.events()

    response = case.office.post(case.inc(spec.path), spec.body(case))

    assert response.status_code == spec.status, response.content.decode()
    expected = spec.allowed[state]
    assert response.json()["status"] == expected
    assert case.status() == expected
    assert case.events() > events_before


@pytest.mark.parametrize(("action", "state"), INCIDENT_REFUSED)
def test_given_an_incident_in_another_state_when_the_action_is_posted_then_409_and_nothing_changes(
    db, action: str, state: str
) -> None:
    case = incident_in(state)
    spec = INCIDENT_ACTIONS[action]
    body = spec.body(case)
    events_before = case.events()
    before = snapshot()

    response = case.office.post(case.inc(spec.path), body)

    assert_conflict(response, says=("警情", INCIDENT_LABELS[state], INCIDENT_ACTION_LABELS[action]))
    assert case.status() == state
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize(
    "unfinished", ["pending_sign", "signed", "in_progress", "result_reported", "return_requested"]
)
def test_given_an_unfinished_instruction_when_the_office_closes_then_409_and_nothing_changes(
    db, unfinished: str
) -> None:
    case = instruction_in(unfinished)
    case.finish_cooperating()
    events_before = case.events()
    before = snapshot()

    response = case.office.post(case.inc("close"), {"outcome": "已处置完毕"})

    assert_conflict(response, code="open_instructions", says=("区房产局",))
    assert case.status() == "dispatched"
    assert case.state() == unfinished
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_reassigned_instruction_when_its_successor_is_done_then_the_incident_can_close(
    db,
) -> None:
    case = instruction_in("reassigned")
    case.finish_cooperating()
    successor = instruction_of(case.incident, OTHER).pk
    case.sign(OTHER, successor)
    case.feedback(OTHER, successor)
    case.contact(OTHER, successor)
    case.report(OTHER, successor)
    case.accept(successor)

    response = case.office.post(case.inc("close"), {"outcome": "已处置完毕"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "closed"


def test_given_a_closed_incident_when_the_caller_is_unsatisfied_and_it_reopens_then_the_primary_gets_a_new_instruction(
    db,
) -> None:
    case = incident_in("closed")
    old = case.instruction_id

    response = case.office.post(
        case.inc("callbacks"), {"satisfaction": "unsatisfied", "note": "仍在漏水", "reopen": True}
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["status"] == "dispatched"
    new = Instruction.objects.filter(incident=case.incident).exclude(pk=old).get()
    assert (new.unit.code, new.role, new.state) == (PRIMARY, "primary", "pending_sign")
    assert case.state(old) == "done"


@pytest.mark.parametrize("target", ["new", "dispatched"])
def test_given_an_open_incident_when_a_new_one_is_merged_into_it_then_it_absorbs_the_repeat(
    db, target: str
) -> None:
    into = incident_in(target)
    case = Case(new_incident())

    response = case.office.post(case.inc("merge"), {"into": into.incident.incident_id})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "merged"
    assert response.json()["merged_into"] == into.incident.incident_id
    assert into.status() == target
    assert Incident.objects.get(pk=into.incident.pk).repeat_calls == 1


@pytest.mark.parametrize("target", ["closed", "returned", "merged", "withdrawn"])
def test_given_a_finished_incident_when_a_new_one_is_merged_into_it_then_409_and_nothing_changes(
    db, target: str
) -> None:
    into = incident_in(target)
    case = Case(new_incident())
    events_before = (case.events(), into.events())
    before = snapshot()

    response = case.office.post(case.inc("merge"), {"into": into.incident.incident_id})

    assert_conflict(
        response, says=("警情", INCIDENT_LABELS[target], INCIDENT_ACTION_LABELS["absorb_repeat"])
    )
    assert (case.status(), into.status()) == ("new", target)
    assert (case.events(), into.events()) == events_before
    assert snapshot() == before

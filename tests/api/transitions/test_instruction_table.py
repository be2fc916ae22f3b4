"""The instruction machine, one row per action the API exposes: allowed from the right state (2xx and
the new state), refused from every other reachable state (409 and nothing changed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.transitions.support import (
    INSTRUCTION_ACTION_LABELS,
    INSTRUCTION_LABELS,
    INSTRUCTION_STATES,
    OTHER,
    Case,
    assert_conflict,
    instruction_in,
    snapshot,
)
from tests.factories import Api

# --- the instruction machine: one row per action exposed by the API ------------------------------


@dataclass(frozen=True)
class InstructionAction:
    who: str  # "unit" (a duty officer of the instruction's unit) or "office"
    path: str
    body: Callable[[Case], dict[str, Any]]
    status: int
    allowed: dict[str, str]  # starting state -> state after
    prepare: Callable[[Case], Any] | None = None  # what the allowed case needs first

    def api(self, case: Case) -> Api:
        return case.unit() if self.who == "unit" else case.office


INSTRUCTION_ACTIONS = {
    "sign": InstructionAction("unit", "sign", lambda c: {}, 200, {"pending_sign": "signed"}),
    "contact_caller": InstructionAction(
        "unit",
        "caller-contacts",
        lambda c: {"reached": True, "note": "已电话联系"},
        201,
        {"signed": "signed", "in_progress": "in_progress", "result_reported": "result_reported"},
    ),
    "feedback": InstructionAction(
        "unit", "feedback", lambda c: {"text": "已到达现场"}, 200, {"signed": "in_progress"}
    ),
    "report_result": InstructionAction(
        "unit",
        "result",
        lambda c: {"outcome": "resolved", "text": "已更换阀门，漏水停止"},
        200,
        {"signed": "result_reported", "in_progress": "result_reported"},
        prepare=Case.contact,
    ),
    "accept_result": InstructionAction(
        "office", "accept-result", lambda c: {}, 200, {"result_reported": "done"}
    ),
    "send_back_result": InstructionAction(
        "office",
        "send-back-result",
        lambda c: {"reason": "现场仍有渗水"},
        200,
        {"result_reported": "in_progress"},
    ),
    "request_return": InstructionAction(
        "unit",
        "return",
        lambda c: {"reason": "非本单位职责"},
        201,
        {
            "pending_sign": "return_requested",
            "signed": "return_requested",
            "in_progress": "return_requested",
        },
    ),
    "request_join": InstructionAction(
        "unit",
        "join-requests",
        lambda c: {"units": [OTHER], "reason": "需应急局协助"},
        201,
        {"signed": "signed", "in_progress": "in_progress"},
    ),
    "request_extension": InstructionAction(
        "unit",
        "extension-requests",
        lambda c: c.extension_body(),
        201,
        {"signed": "signed", "in_progress": "in_progress"},
    ),
    "urge": InstructionAction(
        "office",
        "urge",
        lambda c: {},
        201,
        {"pending_sign": "pending_sign", "signed": "signed", "in_progress": "in_progress"},
    ),
    "reassign": InstructionAction(
        "office",
        "reassign",
        lambda c: {"unit": OTHER, "reason": "职责调整"},
        201,
        {
            "pending_sign": "reassigned",
            "signed": "reassigned",
            "in_progress": "reassigned",
            "return_requested": "reassigned",
        },
    ),
}

# A request that an action files waits for: the office (return, join) or first the unit's leader.
NEW_REQUEST_STATE = {
    "return": "pending_office",
    "join-requests": "pending_office",
    "extension-requests": "pending_leader",
}

INSTRUCTION_ALLOWED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INSTRUCTION_ACTIONS.items()
    for state in spec.allowed
]
INSTRUCTION_REFUSED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INSTRUCTION_ACTIONS.items()
    for state in INSTRUCTION_STATES
    if state not in spec.allowed
]


@pytest.mark.parametrize(("action", "state"), INSTRUCTION_ALLOWED)
def test_given_an_instruction_in_the_right_state_when_the_action_is_posted_then_2xx_and_new_state(
    db, action: str, state: str
) -> None:
    case = instruction_in(state)
    spec = INSTRUCTION_ACTIONS[action]
    if spec.prepare is not None:
        spec.prepare(case)
    events_before = case.events()

    response = spec.api(case).post(case.inst(spec.path), spec.body(case))

    assert response.status_code == spec.status, response.content.decode()
    expected = spec.allowed[state]
    assert case.state() == expected
    assert case.office.get(f"/instructions/{case.instruction_id}").json()["state"] == expected
    assert case.events() > events_before
    body = response.json()
    if action == "reassign":
        assert body["state"] == "pending_sign"
        assert body["unit"]["code"] == OTHER
        assert body["reassigned_from"] == case.instruction_id
    elif spec.path in NEW_REQUEST_STATE:
        assert body["instruction"] == case.instruction_id
        assert body["state"] == NEW_REQUEST_STATE[spec.path]
    else:
        assert body["state"] == expected


@pytest.mark.parametrize(("action", "state"), INSTRUCTION_REFUSED)
def test_given_an_instruction_in_another_state_when_the_action_is_posted_then_409_and_nothing_changes(
    db, action: str, state: str
) -> None:
    case = instruction_in(state)
    spec = INSTRUCTION_ACTIONS[action]
    body = spec.body(case)
    events_before = case.events()
    before = snapshot()

    response = spec.api(case).post(case.inst(spec.path), body)

    assert_conflict(
        response, says=("指令", INSTRUCTION_LABELS[state], INSTRUCTION_ACTION_LABELS[action])
    )
    assert case.state() == state
    assert case.events() == events_before
    assert snapshot() == before

"""Unit tests for liandong.incidents.lifecycle (pure Python, no database).

The expected tables below are the specification, written out by hand: every (state, action) pair
of every machine is checked, allowed pairs for their target state and all other pairs for a 409
IllegalTransition whose Chinese message names the current state and the refused action.
"""

from __future__ import annotations

from itertools import product

import pytest

from liandong.common.errors import IllegalTransition
from liandong.incidents import lifecycle
from liandong.incidents.lifecycle import (
    DEADLINE,
    EXTENSION_REQUEST,
    INCIDENT,
    INSTRUCTION,
    JOIN_REQUEST,
    RETURN_REQUEST,
    Machine,
)

# --- the specification ---------------------------------------------------------------------------

INCIDENT_STATES = {
    "new": "待研判",
    "dispatched": "处置中",
    "closed": "已办结",
    "returned": "已退回市平台",
    "merged": "已合并",
    "withdrawn": "已撤回",
}
INCIDENT_ACTIONS = {
    "claim": "开始研判",
    "dispatch": "研判派发",
    "return_to_city": "退回市平台",
    "merge": "合并为重复警情",
    "add_units": "增派单位",
    "close": "办结",
    "call_back": "回访",
    "reopen": "重新处置",
    "withdraw": "撤回",
    "absorb_repeat": "并入重复警情",
    "supplement": "补充警情信息",
    "urge": "催办",
}
INCIDENT_TABLE = {
    ("new", "claim"): "new",
    ("new", "dispatch"): "dispatched",
    ("new", "return_to_city"): "returned",
    ("new", "merge"): "merged",
    ("new", "withdraw"): "withdrawn",
    ("new", "absorb_repeat"): "new",
    ("new", "supplement"): "new",
    ("new", "urge"): "new",
    ("dispatched", "add_units"): "dispatched",
    ("dispatched", "close"): "closed",
    ("dispatched", "withdraw"): "withdrawn",
    ("dispatched", "absorb_repeat"): "dispatched",
    ("dispatched", "supplement"): "dispatched",
    ("dispatched", "urge"): "dispatched",
    ("closed", "call_back"): "closed",
    ("closed", "reopen"): "dispatched",
}

INSTRUCTION_STATES = {
    "pending_sign": "待签收",
    "signed": "已签收",
    "in_progress": "处置中",
    "result_reported": "结果待审核",
    "done": "已完成",
    "return_requested": "退回待审核",
    "reassigned": "已改派",
    "cancelled": "已撤销",
}
INSTRUCTION_ACTIONS = {
    "sign": "签收",
    "feedback": "首次反馈",
    "report_result": "反馈处置结果",
    "accept_result": "审核通过处置结果",
    "send_back_result": "退回处置结果",
    "request_return": "退回指令",
    "insist": "维持派发",
    "reassign": "改派",
    "cancel": "撤销",
    "contact_caller": "联系报警人",
    "urge": "催办",
    "request_join": "提请联动",
    "request_extension": "延期申请",
    "decide_extension": "审批延期申请",
    "attach": "上传附件",
}
INSTRUCTION_TABLE = {
    ("pending_sign", "sign"): "signed",
    ("pending_sign", "request_return"): "return_requested",
    ("pending_sign", "reassign"): "reassigned",
    ("pending_sign", "cancel"): "cancelled",
    ("pending_sign", "urge"): "pending_sign",
    ("signed", "feedback"): "in_progress",
    ("signed", "report_result"): "result_reported",
    ("signed", "request_return"): "return_requested",
    ("signed", "reassign"): "reassigned",
    ("signed", "cancel"): "cancelled",
    ("signed", "contact_caller"): "signed",
    ("signed", "urge"): "signed",
    ("signed", "request_join"): "signed",
    ("signed", "request_extension"): "signed",
    ("signed", "decide_extension"): "signed",
    ("signed", "attach"): "signed",
    ("in_progress", "report_result"): "result_reported",
    ("in_progress", "request_return"): "return_requested",
    ("in_progress", "reassign"): "reassigned",
    ("in_progress", "cancel"): "cancelled",
    ("in_progress", "contact_caller"): "in_progress",
    ("in_progress", "urge"): "in_progress",
    ("in_progress", "request_join"): "in_progress",
    ("in_progress", "request_extension"): "in_progress",
    ("in_progress", "decide_extension"): "in_progress",
    ("in_progress", "attach"): "in_progress",
    ("result_reported", "accept_result"): "done",
    ("result_reported", "send_back_result"): "in_progress",
    ("result_reported", "cancel"): "cancelled",
    ("result_reported", "contact_caller"): "result_reported",
    ("result_reported", "decide_extension"): "result_reported",
    # "insist" goes back to the state before the return was asked for: a marker, resolved by
    # the action from the instruction's recorded previous state.
    ("return_requested", "insist"): "previous",
    ("return_requested", "reassign"): "reassigned",
    ("return_requested", "cancel"): "cancelled",
}

REQUEST_STATES = {
    "pending_leader": "待单位领导审批",
    "pending_office": "待区联动办审核",
    "approved": "已同意",
    "refused": "未同意",
    "rejected_by_leader": "单位领导未同意",
    "cancelled": "已取消",
}
EXTENSION_ACTIONS = {
    "leader_approve": "单位领导同意",
    "leader_reject": "单位领导不同意",
    "grant": "同意延期",
    "refuse": "不同意延期",
    "cancel": "取消",
}
EXTENSION_TABLE = {
    ("pending_leader", "leader_approve"): "pending_office",
    ("pending_leader", "leader_reject"): "rejected_by_leader",
    ("pending_leader", "cancel"): "cancelled",
    ("pending_office", "grant"): "approved",
    ("pending_office", "refuse"): "refused",
    ("pending_office", "cancel"): "cancelled",
}
JOIN_ACTIONS = {"approve": "同意增派", "refuse": "不同意增派", "cancel": "取消"}
JOIN_TABLE = {
    ("pending_office", "approve"): "approved",
    ("pending_office", "refuse"): "refused",
    ("pending_office", "cancel"): "cancelled",
}
RETURN_ACTIONS = {"reassign": "同意退回并改派", "insist": "维持原派发", "cancel": "取消"}
RETURN_TABLE = {
    ("pending_office", "reassign"): "approved",
    ("pending_office", "insist"): "refused",
    ("pending_office", "cancel"): "cancelled",
}

DEADLINE_STATES = {"open": "计时中", "met": "按时完成", "missed": "超时完成", "stopped": "已停止"}
DEADLINE_ACTIONS = {
    "meet": "按时完成",
    "miss": "超时完成",
    "stop": "停止计时",
    "warn": "预警",
    "notice_overdue": "记录超时",
    "escalate": "提请督办",
    "pause": "暂停计时",
    "resume": "恢复计时",
    "hold": "延期审批中暂缓超时",
    "release": "解除暂缓",
    "recompute": "重新计算",
    "extend": "延期",
    "regrade_met": "改判为按时",
    "regrade_missed": "改判为超时",
    "reopen": "重新计时",
}
DEADLINE_TABLE = {
    ("open", "meet"): "met",
    ("open", "miss"): "missed",
    ("open", "stop"): "stopped",
    ("open", "warn"): "open",
    ("open", "notice_overdue"): "open",
    ("open", "escalate"): "open",
    # fair clocks: a return waiting for the office pauses; an extension waiting holds the breach
    ("open", "pause"): "open",
    ("open", "resume"): "open",
    ("open", "hold"): "open",
    ("open", "release"): "open",
    ("met", "release"): "met",
    ("missed", "release"): "missed",
    ("open", "recompute"): "open",
    ("open", "extend"): "open",
    ("met", "extend"): "met",
    ("missed", "extend"): "missed",
    # a granted extension judges a result already given again against the new time
    ("met", "regrade_met"): "met",
    ("met", "regrade_missed"): "missed",
    ("missed", "regrade_met"): "met",
    ("missed", "regrade_missed"): "missed",
    # a result sent back: its clock runs again
    ("met", "reopen"): "open",
    ("missed", "reopen"): "open",
}

SPECS: dict[
    str, tuple[Machine, str, dict[str, str], dict[str, str], dict[tuple[str, str], str]]
] = {
    "incident": (INCIDENT, "警情", INCIDENT_STATES, INCIDENT_ACTIONS, INCIDENT_TABLE),
    "instruction": (
        INSTRUCTION,
        "指令",
        INSTRUCTION_STATES,
        INSTRUCTION_ACTIONS,
        INSTRUCTION_TABLE,
    ),
    "extension_request": (
        EXTENSION_REQUEST,
        "延期申请",
        REQUEST_STATES,
        EXTENSION_ACTIONS,
        EXTENSION_TABLE,
    ),
    "join_request": (JOIN_REQUEST, "提请联动", REQUEST_STATES, JOIN_ACTIONS, JOIN_TABLE),
    "return_request": (RETURN_REQUEST, "退回申请", REQUEST_STATES, RETURN_ACTIONS, RETURN_TABLE),
    "deadline": (DEADLINE, "时限", DEADLINE_STATES, DEADLINE_ACTIONS, DEADLINE_TABLE),
}


def _pairs(*, allowed: bool) -> list[object]:
    """Every (machine, state, action) of states x actions, allowed or refused by the spec."""
    return [
        pytest.param(key, state, action, id=f"{key}-{state}-{action}")
        for key, (_, _, states, actions, table) in SPECS.items()
        for state, action in product(states, actions)
        if ((state, action) in table) == allowed
    ]


# --- the tables are complete and consistent with the spec --------------------------------------


@pytest.mark.parametrize("machine_key", list(SPECS))
def test_given_a_machine_when_listing_its_states_then_they_are_exactly_the_specified_ones(
    machine_key: str,
) -> None:
    machine, _, states, _, _ = SPECS[machine_key]

    assert machine.states() == set(states)
    assert {str(s): label for s, label in machine.state_labels.items()} == states


@pytest.mark.parametrize("machine_key", list(SPECS))
def test_given_a_machine_when_listing_its_actions_then_they_are_exactly_the_specified_ones(
    machine_key: str,
) -> None:
    machine, _, _, actions, _ = SPECS[machine_key]

    assert machine.actions() == set(actions)
    assert dict(machine.action_labels) == actions


@pytest.mark.parametrize("machine_key", list(SPECS))
def test_given_a_machine_when_reading_its_table_then_it_equals_the_specification(
    machine_key: str,
) -> None:
    machine, _, _, _, table = SPECS[machine_key]

    assert {(str(s), a): str(t) for (s, a), t in machine.table.items()} == table


def test_given_the_instruction_states_when_asking_which_are_final_then_done_reassigned_cancelled():
    assert {str(s) for s in lifecycle.FINAL_INSTRUCTION_STATES} == {
        "done",
        "reassigned",
        "cancelled",
    }


def test_given_a_final_instruction_state_when_asking_allowed_actions_then_there_are_none():
    for state in ("done", "reassigned", "cancelled"):
        assert INSTRUCTION.allowed_actions(state) == []


def test_given_a_finished_incident_when_asking_allowed_actions_then_there_are_none():
    for state in ("returned", "merged", "withdrawn"):
        assert INCIDENT.allowed_actions(state) == []


# --- every (state, action) pair -------------------------------------------------------------------


@pytest.mark.parametrize(("machine_key", "state", "action"), _pairs(allowed=True))
def test_given_an_allowed_pair_when_asking_next_state_then_the_specified_target_is_returned(
    machine_key: str, state: str, action: str
) -> None:
    machine, _, _, _, table = SPECS[machine_key]

    assert machine.next_state(state, action) == table[(state, action)]


@pytest.mark.parametrize(("machine_key", "state", "action"), _pairs(allowed=False))
def test_given_a_refused_pair_when_asking_next_state_then_illegal_transition_names_state_and_action(
    machine_key: str, state: str, action: str
) -> None:
    machine, name, states, actions, _ = SPECS[machine_key]

    with pytest.raises(IllegalTransition) as caught:
        machine.next_state(state, action)

    error = caught.value
    assert error.status == 409
    assert error.code == "illegal_transition"
    assert error.message == f"{name}当前状态为「{states[state]}」，不能执行「{actions[action]}」"
    assert states[state] in str(error)
    assert actions[action] in str(error)


@pytest.mark.parametrize(
    ("machine_key", "state"),
    [
        pytest.param(key, state, id=f"{key}-{state}")
        for key, (_, _, states, _, _) in SPECS.items()
        for state in states
    ],
)
def test_given_a_state_when_asking_allowed_actions_then_exactly_the_specified_actions_in_any_order(
    machine_key: str, state: str
) -> None:
    machine, _, _, _, table = SPECS[machine_key]

    allowed = machine.allowed_actions(state)

    assert sorted(allowed) == sorted(a for (s, a) in table if s == state)
    assert len(allowed) == len(set(allowed))


def test_given_an_unknown_state_when_asking_next_state_then_illegal_transition_names_the_raw_value():
    with pytest.raises(IllegalTransition) as caught:
        INSTRUCTION.next_state("bogus", "sign")

    assert "bogus" in caught.value.message
    assert "签收" in caught.value.message


def test_given_an_unknown_action_when_asking_next_state_then_illegal_transition_names_the_raw_value():
    with pytest.raises(IllegalTransition) as caught:
        INCIDENT.next_state("new", "fly")

    assert "待研判" in caught.value.message
    assert "fly" in caught.value.message

"""The lifecycles of incidents, instructions and requests, as data.

Each machine is a table of (state, action) -> next state. Actions look up the table before they
change anything; an action that is not in the table for the current state raises IllegalTransition
(HTTP 409) and nothing changes. Pure Python: no Django import, tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from liandong.common.errors import IllegalTransition


class IncidentStatus(StrEnum):
    NEW = "new"
    DISPATCHED = "dispatched"
    CLOSED = "closed"
    RETURNED = "returned"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"


INCIDENT_STATUS_LABELS: dict[str, str] = {
    IncidentStatus.NEW: "待研判",
    IncidentStatus.DISPATCHED: "处置中",
    IncidentStatus.CLOSED: "已办结",
    IncidentStatus.RETURNED: "已退回市平台",
    IncidentStatus.MERGED: "已合并",
    IncidentStatus.WITHDRAWN: "已撤回",
}


class InstructionState(StrEnum):
    PENDING_SIGN = "pending_sign"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    RESULT_REPORTED = "result_reported"
    DONE = "done"
    RETURN_REQUESTED = "return_requested"
    REASSIGNED = "reassigned"
    CANCELLED = "cancelled"


INSTRUCTION_STATE_LABELS: dict[str, str] = {
    InstructionState.PENDING_SIGN: "待签收",
    InstructionState.SIGNED: "已签收",
    InstructionState.IN_PROGRESS: "处置中",
    InstructionState.RESULT_REPORTED: "结果待审核",
    InstructionState.DONE: "已完成",
    InstructionState.RETURN_REQUESTED: "退回待审核",
    InstructionState.REASSIGNED: "已改派",
    InstructionState.CANCELLED: "已撤销",
}

FINAL_INSTRUCTION_STATES = frozenset(
    {InstructionState.DONE, InstructionState.REASSIGNED, InstructionState.CANCELLED}
)
#: The same as stored values, in a fixed order: queries and the partial index of open
#: instructions spell the condition identically, so PostgreSQL can match the one to the other.
FINAL_INSTRUCTION_VALUES = tuple(sorted(str(s) for s in FINAL_INSTRUCTION_STATES))


class RequestState(StrEnum):
    PENDING_LEADER = "pending_leader"
    PENDING_OFFICE = "pending_office"
    APPROVED = "approved"
    REFUSED = "refused"
    REJECTED_BY_LEADER = "rejected_by_leader"
    CANCELLED = "cancelled"


REQUEST_STATE_LABELS: dict[str, str] = {
    RequestState.PENDING_LEADER: "待单位领导审批",
    RequestState.PENDING_OFFICE: "待区联动办审核",
    RequestState.APPROVED: "已同意",
    RequestState.REFUSED: "未同意",
    RequestState.REJECTED_BY_LEADER: "单位领导未同意",
    RequestState.CANCELLED: "已取消",
}

#: Marker target: go back to the state recorded before the current one (used by "insist").
PREVIOUS = "previous"
#: Marker target: the action is allowed but keeps the current state.
SAME = "same"


@dataclass(frozen=True)
class Machine:
    name: str
    table: Mapping[tuple[str, str], str]
    state_labels: Mapping[str, str]
    action_labels: Mapping[str, str]

    def next_state(self, state: str, action: str) -> str:
        try:
            return self.table[(state, action)]
        except KeyError:
            label = self.state_labels.get(state, state)
            act = self.action_labels.get(action, action)
            raise IllegalTransition(
                f"{self.name}当前状态为「{label}」，不能执行「{act}」", code="illegal_transition"
            ) from None

    def allows(self, state: str, action: str) -> bool:
        return (state, action) in self.table

    def allowed_actions(self, state: str) -> list[str]:
        return [a for (s, a) in self.table if s == state]

    def states(self) -> set[str]:
        return set(self.state_labels)

    def actions(self) -> set[str]:
        return {a for (_, a) in self.table}


def _rows(rows: Iterable[tuple[Iterable[str], str, str]]) -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for sources, action, target in rows:
        for source in sources:
            key = (source, action)
            if key in table:
                raise ValueError(f"duplicate transition {key}")
            table[key] = source if target == SAME else target
    return table


N = IncidentStatus
_OPEN_INCIDENT = (N.NEW, N.DISPATCHED)

INCIDENT = Machine(
    name="警情",
    table=_rows(
        [
            ((N.NEW,), "claim", SAME),
            ((N.NEW,), "dispatch", N.DISPATCHED),
            ((N.NEW,), "return_to_city", N.RETURNED),
            ((N.NEW,), "merge", N.MERGED),
            ((N.DISPATCHED,), "add_units", N.DISPATCHED),
            ((N.DISPATCHED,), "close", N.CLOSED),
            ((N.CLOSED,), "call_back", N.CLOSED),
            ((N.CLOSED,), "reopen", N.DISPATCHED),
            (_OPEN_INCIDENT, "withdraw", N.WITHDRAWN),
            (_OPEN_INCIDENT, "absorb_repeat", SAME),
            (_OPEN_INCIDENT, "supplement", SAME),
            (_OPEN_INCIDENT, "urge", SAME),
        ]
    ),
    state_labels=INCIDENT_STATUS_LABELS,
    action_labels={
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
    },
)


S = InstructionState
_ACTIVE = (S.PENDING_SIGN, S.SIGNED, S.IN_PROGRESS)
_WORKING = (S.SIGNED, S.IN_PROGRESS)
_OPEN_INSTRUCTION = (*_ACTIVE, S.RESULT_REPORTED, S.RETURN_REQUESTED)

INSTRUCTION = Machine(
    name="指令",
    table=_rows(
        [
            ((S.PENDING_SIGN,), "sign", S.SIGNED),
            ((S.SIGNED,), "feedback", S.IN_PROGRESS),
            (_WORKING, "report_result", S.RESULT_REPORTED),
            ((S.RESULT_REPORTED,), "accept_result", S.DONE),
            ((S.RESULT_REPORTED,), "send_back_result", S.IN_PROGRESS),
            (_ACTIVE, "request_return", S.RETURN_REQUESTED),
            ((S.RETURN_REQUESTED,), "insist", PREVIOUS),
            ((*_ACTIVE, S.RETURN_REQUESTED), "reassign", S.REASSIGNED),
            (_OPEN_INSTRUCTION, "cancel", S.CANCELLED),
            ((*_WORKING, S.RESULT_REPORTED), "contact_caller", SAME),
            (_ACTIVE, "urge", SAME),
            (_WORKING, "request_join", SAME),
            (_WORKING, "request_extension", SAME),
            ((*_WORKING, S.RESULT_REPORTED), "decide_extension", SAME),
            (_WORKING, "attach", SAME),
        ]
    ),
    state_labels=INSTRUCTION_STATE_LABELS,
    action_labels={
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
    },
)

R = RequestState
EXTENSION_REQUEST = Machine(
    name="延期申请",
    table=_rows(
        [
            ((R.PENDING_LEADER,), "leader_approve", R.PENDING_OFFICE),
            ((R.PENDING_LEADER,), "leader_reject", R.REJECTED_BY_LEADER),
            ((R.PENDING_OFFICE,), "grant", R.APPROVED),
            ((R.PENDING_OFFICE,), "refuse", R.REFUSED),
            ((R.PENDING_LEADER, R.PENDING_OFFICE), "cancel", R.CANCELLED),
        ]
    ),
    state_labels=REQUEST_STATE_LABELS,
    action_labels={
        "leader_approve": "单位领导同意",
        "leader_reject": "单位领导不同意",
        "grant": "同意延期",
        "refuse": "不同意延期",
        "cancel": "取消",
    },
)

JOIN_REQUEST = Machine(
    name="提请联动",
    table=_rows(
        [
            ((R.PENDING_OFFICE,), "approve", R.APPROVED),
            ((R.PENDING_OFFICE,), "refuse", R.REFUSED),
            ((R.PENDING_OFFICE,), "cancel", R.CANCELLED),
        ]
    ),
    state_labels=REQUEST_STATE_LABELS,
    action_labels={"approve": "同意增派", "refuse": "不同意增派", "cancel": "取消"},
)

RETURN_REQUEST = Machine(
    name="退回申请",
    table=_rows(
        [
            ((R.PENDING_OFFICE,), "reassign", R.APPROVED),
            ((R.PENDING_OFFICE,), "insist", R.REFUSED),
            ((R.PENDING_OFFICE,), "cancel", R.CANCELLED),
        ]
    ),
    state_labels=REQUEST_STATE_LABELS,
    action_labels={"reassign": "同意退回并改派", "insist": "维持原派发", "cancel": "取消"},
)


class DeadlineState(StrEnum):
    OPEN = "open"
    MET = "met"
    MISSED = "missed"
    STOPPED = "stopped"


DEADLINE_STATE_LABELS: dict[str, str] = {
    DeadlineState.OPEN: "计时中",
    DeadlineState.MET: "按时完成",
    DeadlineState.MISSED: "超时完成",
    DeadlineState.STOPPED: "已停止",
}

D = DeadlineState
DEADLINE = Machine(
    name="时限",
    table=_rows(
        [
            ((D.OPEN,), "meet", D.MET),
            ((D.OPEN,), "miss", D.MISSED),
            ((D.OPEN,), "stop", D.STOPPED),
            ((D.OPEN,), "warn", SAME),
            ((D.OPEN,), "notice_overdue", SAME),
            ((D.OPEN,), "escalate", SAME),
            ((D.OPEN,), "pause", SAME),
            ((D.OPEN,), "resume", SAME),
            ((D.OPEN,), "hold", SAME),
            ((D.OPEN, D.MET, D.MISSED), "release", SAME),
            ((D.OPEN,), "recompute", SAME),
            ((D.OPEN, D.MET, D.MISSED), "extend", SAME),
            ((D.MET, D.MISSED), "regrade_met", D.MET),
            ((D.MET, D.MISSED), "regrade_missed", D.MISSED),
            ((D.MET, D.MISSED), "reopen", D.OPEN),
        ]
    ),
    state_labels=DEADLINE_STATE_LABELS,
    action_labels={
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
    },
)

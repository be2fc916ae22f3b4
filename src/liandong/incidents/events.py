"""The kinds of event the timeline and the audit trail record, as one enumeration.

Every action appends events of these kinds only (the `Event.kind` column has them as its choices);
other apps key their reactions by them (the city-report mapping, later notifications), so a typo is
an AttributeError at import time instead of a silently dropped report. Pure Python.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    # intake
    CREATED = "created"
    RECEIVED = "received"
    SUPPLEMENTED = "supplemented"
    CALLER_PHONE_REVEALED = "caller_phone_revealed"
    ANONYMISED = "anonymised"
    # triage and the incident
    DISPATCHED = "dispatched"
    RETURNED_TO_CITY = "returned_to_city"
    MERGED = "merged"
    REPEAT_CALL = "repeat_call"
    CLAIMED = "claimed"
    STOOD_DOWN = "stood_down"
    UNITS_ADDED = "units_added"
    CLOSED = "closed"
    CALLED_BACK = "called_back"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"
    # a unit's work on its instruction
    SIGNED = "signed"
    CALLER_CONTACTED = "caller_contacted"
    CALLER_CONTACT_ATTEMPT = "caller_contact_attempt"
    FEEDBACK = "feedback"
    RESULT = "result"
    ATTACHMENT_UPLOADED = "attachment_uploaded"
    # requests and their decisions
    RETURN_REQUESTED = "return_requested"
    RETURN_REFUSED = "return_refused"
    JOIN_REQUESTED = "join_requested"
    JOIN_DECIDED = "join_decided"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_LEADER_DECIDED = "extension_leader_decided"
    EXTENSION_GRANTED = "extension_granted"
    EXTENSION_REFUSED = "extension_refused"
    REQUEST_CANCELLED = "request_cancelled"
    # the office on instructions
    URGED = "urged"
    REASSIGNED = "reassigned"
    RESULT_ACCEPTED = "result_accepted"
    RESULT_SENT_BACK = "result_sent_back"
    INSTRUCTION_CANCELLED = "instruction_cancelled"
    # clocks
    DEADLINE_RECOMPUTED = "deadline_recomputed"
    DEADLINE_WARNING = "deadline_warning"
    DEADLINE_OVERDUE = "deadline_overdue"
    SUPERVISION_PROPOSED = "supervision_proposed"
    SUPERVISION_ISSUED = "supervision_issued"
    SUPERVISION_ANSWERED = "supervision_answered"
    SUPERVISION_ACCEPTED = "supervision_accepted"
    SUPERVISION_SENT_BACK = "supervision_sent_back"
    CLOCKS_PAUSED = "clocks_paused"
    CLOCKS_RESUMED = "clocks_resumed"
    # the city link
    REPORT_RESENT = "report_resent"
    DELIVERY_RESENT = "delivery_resent"


EVENT_KIND_LABELS: dict[str, str] = {
    EventKind.CREATED: "人工录入",
    EventKind.RECEIVED: "收到市平台警情",
    EventKind.SUPPLEMENTED: "补充警情信息",
    EventKind.CALLER_PHONE_REVEALED: "查看报警人电话",
    EventKind.ANONYMISED: "报警人信息匿名化",
    EventKind.DISPATCHED: "研判派发",
    EventKind.RETURNED_TO_CITY: "退回市平台",
    EventKind.MERGED: "合并为重复警情",
    EventKind.REPEAT_CALL: "重复来电并入",
    EventKind.CLAIMED: "开始研判",
    EventKind.STOOD_DOWN: "撤销单位指令",
    EventKind.UNITS_ADDED: "增派单位",
    EventKind.CLOSED: "办结",
    EventKind.CALLED_BACK: "回访",
    EventKind.REOPENED: "重新处置",
    EventKind.WITHDRAWN: "撤回",
    EventKind.SIGNED: "签收",
    EventKind.CALLER_CONTACTED: "联系报警人",
    EventKind.CALLER_CONTACT_ATTEMPT: "联系报警人未接通",
    EventKind.FEEDBACK: "首次反馈",
    EventKind.RESULT: "反馈处置结果",
    EventKind.ATTACHMENT_UPLOADED: "上传附件",
    EventKind.RETURN_REQUESTED: "申请退回",
    EventKind.RETURN_REFUSED: "维持派发",
    EventKind.JOIN_REQUESTED: "提请联动",
    EventKind.JOIN_DECIDED: "审核提请联动",
    EventKind.EXTENSION_REQUESTED: "申请延期",
    EventKind.EXTENSION_LEADER_DECIDED: "单位领导审批延期",
    EventKind.EXTENSION_GRANTED: "同意延期",
    EventKind.EXTENSION_REFUSED: "不同意延期",
    EventKind.REQUEST_CANCELLED: "申请自动取消",
    EventKind.URGED: "催办",
    EventKind.REASSIGNED: "改派",
    EventKind.RESULT_ACCEPTED: "审核通过处置结果",
    EventKind.RESULT_SENT_BACK: "退回处置结果",
    EventKind.INSTRUCTION_CANCELLED: "撤销指令",
    EventKind.DEADLINE_RECOMPUTED: "时限重新计算",
    EventKind.DEADLINE_WARNING: "时限即将超时",
    EventKind.DEADLINE_OVERDUE: "时限已超时",
    EventKind.SUPERVISION_PROPOSED: "提请督办",
    EventKind.SUPERVISION_ISSUED: "督办",
    EventKind.SUPERVISION_ANSWERED: "书面回复督办",
    EventKind.SUPERVISION_ACCEPTED: "认可督办回复",
    EventKind.SUPERVISION_SENT_BACK: "退回督办回复",
    EventKind.CLOCKS_PAUSED: "暂停计时",
    EventKind.CLOCKS_RESUMED: "恢复计时",
    EventKind.REPORT_RESENT: "重新上报市平台",
    EventKind.DELIVERY_RESENT: "重新发送通知",
}

"""The message templates shipped with the product (administrators edit them, with history)."""

from __future__ import annotations

#: kind → (label, sent outside the product, title, text)
DEFAULT_TEMPLATES: dict[str, tuple[str, bool, str, str]] = {
    "dispatched": (
        "新指令",
        True,
        "新指令",
        "【于洪区联动办】${title}：${text}（警情${incident_id}）",
    ),
    "urged": ("催办", True, "催办", "【于洪区联动办】${text}（警情${incident_id}，${address}）"),
    "deadline_warning": ("时限即将超时", True, "${title}", "【于洪区联动办】${text}"),
    "overdue": ("时限已超时", True, "${title}", "【于洪区联动办】${text}"),
    "supervision_proposed": ("建议督办", True, "${title}", "【于洪区联动办】${text}"),
    "supervision_issued": ("督办通知", True, "督办通知", "【于洪区联动办】${text}"),
    "supervision_accept": ("督办回复已认可", True, "督办审核", "【于洪区联动办】${text}"),
    "supervision_send_back": ("督办回复被退回", True, "督办审核", "【于洪区联动办】${text}"),
    "supervision_answered": ("督办回复待审核", False, "督办回复", "${text}"),
    "digest": ("每日超时汇总", True, "${title}", "【于洪区联动办】${text}"),
    "extension_decided": (
        "延期审核结果",
        True,
        "延期审核",
        "【于洪区联动办】${text}（警情${incident_id}）",
    ),
    "return_refused": (
        "退回未获同意",
        True,
        "退回审核",
        "【于洪区联动办】${text}（警情${incident_id}）",
    ),
    "result_sent_back": (
        "处置结果被退回",
        True,
        "结果退回",
        "【于洪区联动办】${text}（警情${incident_id}）",
    ),
    "reassigned": ("指令改派", True, "指令改派", "【于洪区联动办】${text}（警情${incident_id}）"),
    "withdrawn": ("警情撤回", True, "警情撤回", "【于洪区联动办】${text}（警情${incident_id}）"),
    "join_decided": (
        "提请联动审核",
        True,
        "提请联动",
        "【于洪区联动办】${text}（警情${incident_id}）",
    ),
    "supplement": ("警情补充", True, "警情补充", "【于洪区联动办】${text}（警情${incident_id}）"),
    "repeat_call": ("重复来电", True, "重复来电", "【于洪区联动办】${text}（警情${incident_id}）"),
    "new_incident": ("新警情待研判", False, "新警情", "${text}"),
    "result": ("处置结果待审核", False, "待审核", "${text}"),
    "return_requested": ("退回待审核", False, "待审核", "${text}"),
    "join_requested": ("提请联动待审核", False, "待审核", "${text}"),
    "extension_requested": ("延期待审核", False, "待审核", "${text}"),
}

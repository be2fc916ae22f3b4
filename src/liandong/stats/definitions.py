"""Every figure the statistics show, with the definition users can open next to it. Pure Python:
the screen, the API, the .xlsx export and `liandong stats` all read their labels from here."""

from __future__ import annotations

from dataclasses import dataclass

#: The deadline kinds the statistics count, in the order their figures are shown.
KINDS = ("sign", "feedback", "result", "caller_contact")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str
    unit: str = ""  # "", "%", "分钟"


FIGURES: tuple[Figure, ...] = (
    Figure("incidents", "警情数", "统计期内派发、且有指令派给该分组的警情数（同一警情只计一次）。"),
    Figure(
        "instructions", "指令数", "统计期内派发的指令数（含改派产生的新指令和撤回撤销的指令）。"
    ),
    Figure(
        "sign_rate",
        "签收及时率",
        "按时签收的指令 ÷（按时签收 + 超时签收 + 截至统计时已超时仍未签收）；因改派、撤回停止计时的不计入。",
        "%",
    ),
    Figure(
        "feedback_rate",
        "首次反馈及时率",
        "按时首次反馈的指令 ÷（按时 + 超时 + 已超时仍未反馈）；直接反馈处置结果的视同首次反馈。",
        "%",
    ),
    Figure(
        "result_rate",
        "办结及时率",
        "按时反馈处置结果的指令 ÷（按时 + 超时 + 已超时仍未反馈）；经批准延期、在延期时限内反馈的计为按时。",
        "%",
    ),
    Figure(
        "contact_rate",
        "联系报警人及时率",
        "一级联动单位作为主责单位签收后，在时限内联系报警人的 ÷（按时 + 超时 + 已超时仍未联系）。",
        "%",
    ),
    Figure("sign_minutes", "平均签收用时", "签收时间 − 派发时间的平均值（已签收的指令）。", "分钟"),
    Figure("sign_minutes_p90", "签收用时90分位", "签收用时从小到大排列，第90%位置的值。", "分钟"),
    Figure("feedback_minutes", "平均首次反馈用时", "首次反馈时间 − 派发时间的平均值。", "分钟"),
    Figure("feedback_minutes_p90", "首次反馈用时90分位", "首次反馈用时的第90百分位。", "分钟"),
    Figure("result_minutes", "平均办结用时", "处置结果反馈时间 − 派发时间的平均值。", "分钟"),
    Figure("result_minutes_p90", "办结用时90分位", "办结用时的第90百分位。", "分钟"),
    Figure("sign_overdue", "签收超时数", "超时签收或已超时仍未签收的指令数。"),
    Figure("feedback_overdue", "首次反馈超时数", "超时首次反馈或已超时仍未反馈的指令数。"),
    Figure("result_overdue", "办结超时数", "超时反馈处置结果或已超时仍未反馈的指令数。"),
    Figure("contact_overdue", "联系报警人超时数", "超时联系或已超时仍未联系报警人的指令数。"),
    Figure("returns_asked", "申请退回数", "统计期内派发的指令中，单位申请退回的次数。"),
    Figure("returns_granted", "退回获准数", "其中区联动办同意退回并改派的次数。"),
    Figure("joins_asked", "提请联动数", "单位提请其他单位联动的次数。"),
    Figure("extensions_asked", "申请延期数", "单位提交的延期申请数。"),
    Figure("extensions_granted", "延期获准数", "其中经区联动办同意的延期申请数。"),
    Figure("urges_office", "被区联动办催办次数", "区联动办对统计期内指令的催办次数。"),
    Figure("urges_city", "被市平台催办次数", "市平台转来的催办次数。"),
    Figure("supervisions", "被督办次数", "涉及统计期内指令的督办通知数。"),
    Figure("supervisions_late", "督办逾期回复数", "其中首次书面回复晚于回复期限的督办数。"),
    Figure(
        "satisfaction_rate",
        "回访满意率",
        "回访结果为满意、基本满意的 ÷ 接通的回访（未接通、无法回访的不计）；按回访时警情的主责单位计入，统计期按该主责指令的派发时间。",
        "%",
    ),
    Figure("reopened", "重办数", "回访不满意后重新处置的次数；按回访时警情的主责单位计入。"),
)

BY_KEY = {f.key: f for f in FIGURES}

#: The groupings and their Chinese names.
GROUPINGS: dict[str, str] = {
    "unit": "单位",
    "tier": "联动级别",
    "category": "事项类别",
    "street": "属地街道",
    "level": "指令级别",
    "class": "处置类别",
}


def rate(met: int, total: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to count."""
    if total <= 0:
        return None
    return round(100.0 * met / total, 1)


def percentile(values: list[float], share: float = 0.9) -> float | None:
    """The nearest-rank percentile (the value at the ceil(share × n)-th place), or None."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(share * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]

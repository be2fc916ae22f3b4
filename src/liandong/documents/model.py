"""What the renderers take: plain, frozen dataclasses, filled by the caller (no Django here).

Every text is already the text the document shows (Simplified Chinese); the renderers only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SupervisionOrderDoc:
    """督办通知: one order to one unit."""

    issuer: str  # 发文机关, e.g. "于洪区110非警务警情联动处置工作领导小组办公室"
    number: str  # 发文字号, e.g. "于联督〔2026〕12号"
    title: str  # e.g. "关于督促办理区房产局超时未签收警情的督办通知"
    addressee: str  # 主送, e.g. "区房产局" (the colon is added)
    items: tuple[str, ...]  # 督办事项: one line per incident/instruction
    problems: str  # 存在问题 (paragraphs separated by blank lines)
    measures: str  # 督办要求 (paragraphs separated by blank lines)
    answer_due: str  # e.g. "2026年12月3日17时前"
    contact: str  # 联系人及电话, e.g. "李督办 024-12345678"
    date: str  # 成文日期, e.g. "2026年11月30日"
    copy_to: str = ""  # 抄送 (empty: no 抄送 line in the 版记)
    printed_by: str = ""  # 印发机关 (empty: the issuer)
    printed_date: str = ""  # 印发日期 (empty: the date)
    # The opening sentence after the addressee (empty: a standard one).
    preamble: str = ""


@dataclass(frozen=True)
class RankingRow:
    """One unit's line in the monthly ranking (ranked within its tier)."""

    tier: int
    rank: int
    unit: str
    score: float
    sign_rate: str  # 签收及时率, e.g. "98.5%"
    feedback_rate: str  # 首次反馈及时率
    result_rate: str  # 办结及时率
    contact_rate: str  # 联系报警人及时率 ("—" where it does not apply)
    overdue: int  # 超时未办件数
    urges: int  # 被催办次数
    supervisions: int  # 被督办次数
    satisfaction: str  # 回访满意率


@dataclass(frozen=True)
class OverdueUnit:
    unit: str
    count: int


@dataclass(frozen=True)
class BulletinDoc:
    """月度通报."""

    issuer: str
    number: str
    title: str
    period: str  # e.g. "2026年11月"
    # (indicator label, this month, change from last month e.g. "+12" / "-3.5个百分点")
    totals: tuple[tuple[str, str, str], ...]
    # The office's own text (paragraphs separated by blank lines): rendered as 六、工作要求.
    narrative: str
    ranking: tuple[RankingRow, ...]
    overdue_units: tuple[OverdueUnit, ...]
    supervision_orders: tuple[str, ...]  # one line per order of the month
    typical_cases: tuple[str, ...]  # one paragraph per case the office picked
    date: str
    copy_to: str = ""
    printed_by: str = ""
    printed_date: str = ""
    addressee: str = "各联动单位"  # 主送
    # The opening sentence after the addressee (empty: "现将{period}…通报如下：").
    preamble: str = ""
    # The office's remarks on the month's figures, under 一、总体情况 before the table (optional).
    overview: str = ""

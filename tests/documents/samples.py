"""Sample documents for the rendering tests (and the rendered samples under test-artifacts/)."""

from __future__ import annotations

from liandong.documents import BulletinDoc, OverdueUnit, RankingRow, SupervisionOrderDoc

ISSUER = "于洪区110非警务警情联动处置工作领导小组办公室"

ORDER = SupervisionOrderDoc(
    issuer=ISSUER,
    number="于联督〔2026〕12号",
    title="关于督促办理区房产局超时未签收警情的督办通知",
    addressee="区房产局",
    items=(
        "警情QY2026112800135，于洪区迎宾路街道某小区楼道漏水影响住户通行，11月28日9时12分派发，"
        "签收超时2小时15分。",
        "警情QY2026112900041，于洪区北陵街道某物业公司停止供暖设施维修，11月29日14时派发，"
        "签收超时1小时40分，至今未反馈办理情况。",
        "警情QY2026112900188，于洪区城东湖街道某小区电梯停运，报警人反映老人出行困难，"
        "办结时限已过，未申请延期。",
    ),
    problems="上述警情均为群众反映强烈的民生诉求。你单位值班人员未按规定时限签收，"
    "首次反馈不及时，个别警情超过办结时限且未申请延期，影响群众满意度。\n\n"
    "经核查，你单位11月以来已被催办5次，值班制度落实不到位，值班电话多次无人接听。",
    measures="立即组织核查上述警情，逐件落实办理责任人和办理时限，"
    "于24小时内联系报警人并反馈办理进展。\n\n"
    "对照《于洪区110非警务警情联动处置工作办法》，健全值班值守制度，"
    "确保值班电话24小时有人接听、警情及时签收。",
    answer_due="2026年12月3日17时前",
    contact="李督办 024-12345678",
    date="2026年11月30日",
    copy_to="区政府办公室，区公安分局",
    printed_by=ISSUER,
    printed_date="2026年11月30日",
)


def _row(tier: int, rank: int, unit: str, score: float, overdue: int = 0) -> RankingRow:
    return RankingRow(
        tier=tier,
        rank=rank,
        unit=unit,
        score=score,
        sign_rate=f"{100 - rank * 0.7:.1f}%",
        feedback_rate=f"{99 - rank:.1f}%",
        result_rate=f"{98.5 - rank:.1f}%",
        contact_rate="—" if tier != 1 else f"{100 - rank * 1.5:.1f}%",
        overdue=overdue,
        urges=rank,
        supervisions=rank // 3,
        satisfaction=f"{97.2 - rank * 0.4:.1f}%",
    )


_TIER1 = ["迎宾路街道", "北陵街道", "城东湖街道", "陵东街道", "沙岭街道", "南阳湖街道", "造化街道"]
_TIER2 = ["区房产局", "区城管局", "区住建局", "区市场监管局", "区生态环境分局", "区水务局"]
_TIER3 = ["区供电公司", "区燃气公司", "区供热公司", "区自来水公司"]

BULLETIN = BulletinDoc(
    issuer=ISSUER,
    number="于联通〔2026〕11号",
    title="关于2026年11月份全区110非警务警情联动处置工作情况的通报",
    period="2026年11月",
    totals=(
        ("接收非警务警情（件）", "1286", "+112"),
        ("派发联动单位（件）", "1203", "+98"),
        ("签收及时率", "97.6%", "+1.2个百分点"),
        ("首次反馈及时率", "95.1%", "-0.8个百分点"),
        ("办结及时率", "93.4%", "+2.0个百分点"),
        ("回访满意率", "96.3%", "+0.5个百分点"),
        ("超时未办（件）", "37", "-9"),
        ("下发督办通知（份）", "4", "+1"),
    ),
    narrative="各单位要进一步落实值班值守制度，确保警情及时签收、及时反馈、按时办结。\n\n"
    "被督办单位要认真整改，按时书面回复，整改情况纳入下月考核。",
    ranking=tuple(
        [_row(1, i, u, 98.6 - i * 1.3, overdue=i // 3) for i, u in enumerate(_TIER1, 1)]
        + [_row(2, i, u, 97.1 - i * 2.1, overdue=i // 2) for i, u in enumerate(_TIER2, 1)]
        + [_row(3, i, u, 99.0 - i * 0.9) for i, u in enumerate(_TIER3, 1)]
    ),
    overdue_units=(
        OverdueUnit("区房产局", 12),
        OverdueUnit("区城管局", 9),
        OverdueUnit("造化街道", 6),
        OverdueUnit("区水务局", 0),
    ),
    supervision_orders=(
        "于联督〔2026〕9号：督促区房产局办理超时未签收警情，已按时书面回复。",
        "于联督〔2026〕10号：督促区城管局办理占道经营重复投诉警情，已按时书面回复。",
        "于联督〔2026〕11号：督促造化街道办理噪声扰民警情，逾期1天回复。",
        "于联督〔2026〕12号：督促区房产局办理超时未签收警情，尚未到回复期限。",
    ),
    typical_cases=(
        "11月8日，北陵街道接到群众反映某小区化粪池外溢后，值班人员10分钟内签收，"
        "30分钟内到达现场，当日完成清掏并回复报警人，群众表示满意。",
        "11月19日，区房产局对一起楼道漏水警情超时2小时未签收，报警人再次拨打110投诉，"
        "经督办后办结。",
    ),
    date="2026年11月30日",
    copy_to="区委办公室，区政府办公室，区公安分局",
    overview="本月全区非警务警情数量较上月有所增加，主要集中在供暖、物业和市政设施方面。"
    "各项及时率总体平稳，首次反馈及时率略有下降。",
)

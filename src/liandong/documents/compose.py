"""From a document dataclass to its blocks: the texts, the sections and their order."""

from __future__ import annotations

import re
from itertools import groupby

from .blocks import (
    Addressee,
    Block,
    Column,
    Heading,
    Imprint,
    Masthead,
    Paragraph,
    Signature,
    Table,
    Title,
)
from .model import BulletinDoc, RankingRow, SupervisionOrderDoc

_DIGITS = "零一二三四五六七八九"
TIER_LABELS = {1: "一级联动单位", 2: "二级联动单位", 3: "三级联动单位"}


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (1–99)."""
    if not 0 < n < 100:
        raise ValueError(f"heading number out of range: {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


#: A line opening with an item number (一、 （二） 3. 4、 (5)) starts its own paragraph.
ITEM = re.compile(
    r"\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．])"
)


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a free text: separated by blank lines or begun by an item number; other
    single line breaks join (a pasted text wrapped by hand)."""
    parts = re.split(r"\n\s*\n", text.strip())
    out: list[str] = []
    for part in parts:
        lines = [line.strip() for line in part.split("\n") if line.strip()]
        for i, line in enumerate(lines):
            if i and not ITEM.match(line):
                out[-1] += line
            else:
                out.append(line)
    return out


class _Sections:
    """Numbers the first-level headings as they are added."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.count = 0

    def heading(self, text: str) -> None:
        self.count += 1
        self.blocks.append(Heading(1, f"{cn_number(self.count)}、{text}"))

    def paras(self, texts: list[str]) -> None:
        self.blocks.extend(Paragraph(t) for t in texts)

    def numbered(self, texts: tuple[str, ...] | list[str]) -> None:
        self.blocks.extend(Paragraph(f"{i}.{t.strip()}") for i, t in enumerate(texts, 1))


def _ending(
    issuer: str, date: str, copy_to: str, printed_by: str, printed_date: str
) -> list[Block]:
    return [
        Signature(issuer, date),
        Imprint(copy_to.strip(), printed_by.strip() or issuer, printed_date.strip() or date),
    ]


def order_blocks(doc: SupervisionOrderDoc) -> tuple[Block, ...]:
    s = _Sections()
    s.blocks += [
        Masthead(doc.issuer, doc.number),
        Title(doc.title),
        Addressee(f"{doc.addressee}："),
    ]
    s.paras(
        [doc.preamble.strip() or "经查，你单位在警情办理中存在下列问题。现予督办，请认真落实。"]
    )
    s.heading("督办事项")
    s.numbered(doc.items)
    s.heading("存在问题")
    s.paras(paragraphs(doc.problems))
    s.heading("督办要求")
    s.paras(paragraphs(doc.measures))
    s.paras(
        [
            f"请于{doc.answer_due}将办理结果和整改落实情况书面回复我办。书面回复须经你单位主要负责人"
            "签字并加盖公章，扫描件通过平台上传。逾期未回复的，将按有关规定予以通报。"
        ]
    )
    s.heading("联系方式")
    s.paras([f"联系人及电话：{doc.contact}"])
    s.blocks += _ending(doc.issuer, doc.date, doc.copy_to, doc.printed_by, doc.printed_date)
    return tuple(s.blocks)


TOTALS_COLUMNS = (
    Column("指标", 76.0, "L"),
    Column("本月", 40.0),
    Column("较上月", 40.0),
)

RANKING_COLUMNS = (
    Column("排名", 10.0),
    Column("单位", 30.0),
    Column("得分", 13.0),
    Column("签收及时率", 14.0),
    Column("首次反馈及时率", 14.0),
    Column("办结及时率", 14.0),
    Column("联系报警人及时率", 14.0),
    Column("超时未办件数", 11.0),
    Column("被催办次数", 11.0),
    Column("被督办次数", 11.0),
    Column("回访满意率", 14.0),
)


def ranking_cells(row: RankingRow) -> tuple[str, ...]:
    return (
        str(row.rank),
        row.unit,
        f"{row.score:.2f}",
        row.sign_rate,
        row.feedback_rate,
        row.result_rate,
        row.contact_rate,
        str(row.overdue),
        str(row.urges),
        str(row.supervisions),
        row.satisfaction,
    )


def tier_label(tier: int) -> str:
    return TIER_LABELS.get(tier, f"{cn_number(tier)}级联动单位")


def by_tier(ranking: tuple[RankingRow, ...]) -> list[tuple[int, list[RankingRow]]]:
    """The ranking grouped by tier (tier 1 first), each group in rank order."""
    rows = sorted(ranking, key=lambda r: (r.tier, r.rank, r.unit))
    return [(tier, list(group)) for tier, group in groupby(rows, key=lambda r: r.tier)]


def bulletin_blocks(doc: BulletinDoc) -> tuple[Block, ...]:
    s = _Sections()
    s.blocks += [
        Masthead(doc.issuer, doc.number),
        Title(doc.title),
        Addressee(f"{doc.addressee}："),
    ]
    s.paras(
        [doc.preamble.strip() or f"现将{doc.period}全区110非警务警情联动处置工作情况通报如下："]
    )

    s.heading("总体情况")
    s.paras(paragraphs(doc.overview))
    if doc.totals:
        s.blocks.append(Table(TOTALS_COLUMNS, tuple(doc.totals), size_pt=14.0))
    else:
        s.paras(["本月无统计数据。"])

    s.heading("各单位考核排名")
    groups = by_tier(doc.ranking)
    if groups:
        s.paras(["各单位按所属联动层级分别排名。"])
    else:
        s.paras(["本月无考核排名数据。"])
    for i, (tier, rows) in enumerate(groups, 1):
        s.blocks.append(Heading(2, f"（{cn_number(i)}）{tier_label(tier)}"))
        s.blocks.append(Table(RANKING_COLUMNS, tuple(ranking_cells(r) for r in rows)))

    s.heading("超时未办情况")
    overdue = [u for u in doc.overdue_units if u.count > 0]
    if overdue:
        total = sum(u.count for u in overdue)
        named = "、".join(f"{u.unit}（{u.count}件）" for u in overdue)
        s.paras([f"本月共有{len(overdue)}个单位存在超时未办警情{total}件，分别是：{named}。"])
    else:
        s.paras(["本月各单位无超时未办警情。"])

    s.heading("督办情况")
    if doc.supervision_orders:
        s.paras([f"本月共下发督办通知{len(doc.supervision_orders)}份："])
        s.numbered(doc.supervision_orders)
    else:
        s.paras(["本月未下发督办通知。"])

    s.heading("典型案例")
    if doc.typical_cases:
        s.numbered(doc.typical_cases)
    else:
        s.paras(["本月无典型案例。"])

    narrative = paragraphs(doc.narrative)
    if narrative:
        s.heading("工作要求")
        s.paras(narrative)

    s.blocks += _ending(doc.issuer, doc.date, doc.copy_to, doc.printed_by, doc.printed_date)
    return tuple(s.blocks)

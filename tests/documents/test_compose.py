"""The documents' structure and the text layout rules, without rendering."""

from __future__ import annotations

import pytest

from liandong.documents import blocks as b
from liandong.documents.compose import bulletin_blocks, cn_number, order_blocks, paragraphs
from liandong.documents.linebreak import START_FORBIDDEN, break_lines, title_lines
from liandong.documents.pdf_layout import Item, paginate
from tests.documents.samples import BULLETIN, ORDER


def grid_width(text: str) -> float:
    """Widths in characters of the grid (CJK 1, ASCII 1/2)."""
    return b.text_em(text)


def test_chinese_numbers_of_headings() -> None:
    assert [cn_number(n) for n in (1, 4, 10, 12, 20, 25)] == [
        "一",
        "四",
        "十",
        "十二",
        "二十",
        "二十五",
    ]
    with pytest.raises(ValueError):
        cn_number(0)


def test_paragraphs_are_separated_by_blank_lines() -> None:
    assert paragraphs("第一段\n接续。\n\n  第二段。 \n") == ["第一段接续。", "第二段。"]
    assert paragraphs("  ") == []
    measures = "一、请主要领导过问；\n二、按时\n书面回复；\n（三）举一反三。\n4. 完善制度。"
    assert paragraphs(measures) == [
        "一、请主要领导过问；",
        "二、按时书面回复；",
        "（三）举一反三。",
        "4. 完善制度。",
    ]


def test_order_sections_in_order() -> None:
    blocks = order_blocks(ORDER)
    headings = [x.text for x in blocks if isinstance(x, b.Heading)]
    assert headings == ["一、督办事项", "二、存在问题", "三、督办要求", "四、联系方式"]
    assert isinstance(blocks[0], b.Masthead) and isinstance(blocks[1], b.Title)
    assert blocks[2] == b.Addressee("区房产局：")  # full-width colon
    texts = [x.text for x in blocks if isinstance(x, b.Paragraph)]
    assert texts[1].startswith("1.警情QY2026112800135")
    deadline = next(t for t in texts if "2026年12月3日17时前" in t)
    assert "主要负责人签字" in deadline and "书面回复" in deadline and "扫描件" in deadline
    assert isinstance(blocks[-2], b.Signature) and isinstance(blocks[-1], b.Imprint)


def test_imprint_defaults_to_the_issuer_and_the_date() -> None:
    from dataclasses import replace

    imprint = order_blocks(replace(ORDER, printed_by="", printed_date="", copy_to=""))[-1]
    assert imprint == b.Imprint("", ORDER.issuer, ORDER.date)


def test_bulletin_sections_and_one_table_per_tier() -> None:
    blocks = bulletin_blocks(BULLETIN)
    headings = [x.text for x in blocks if isinstance(x, b.Heading) and x.level == 1]
    assert headings == [
        "一、总体情况",
        "二、各单位考核排名",
        "三、超时未办情况",
        "四、督办情况",
        "五、典型案例",
        "六、工作要求",
    ]
    tiers = [x.text for x in blocks if isinstance(x, b.Heading) and x.level == 2]
    assert tiers == ["（一）一级联动单位", "（二）二级联动单位", "（三）三级联动单位"]
    tables = [x for x in blocks if isinstance(x, b.Table)]
    assert len(tables) == 4  # the totals and one per tier
    assert [row[1] for row in tables[2].rows][:2] == ["区房产局", "区城管局"]
    overdue = next(
        x.text for x in blocks if isinstance(x, b.Paragraph) and "超时未办警情" in x.text
    )
    assert "区房产局（12件）" in overdue and "区水务局" not in overdue  # a count of 0 is no overdue


def test_bulletin_without_data_says_so() -> None:
    from dataclasses import replace

    empty = replace(
        BULLETIN, totals=(), ranking=(), overdue_units=(), supervision_orders=(),
        typical_cases=(), narrative="",
    )  # fmt: skip
    texts = [x.text for x in bulletin_blocks(empty) if isinstance(x, b.Paragraph | b.Heading)]
    assert "本月各单位无超时未办警情。" in texts and "本月未下发督办通知。" in texts
    assert not any(t.endswith("工作要求") for t in texts)


def test_line_breaking_keeps_numbers_whole_and_punctuation_off_line_starts() -> None:
    text = "警情QY2026112800135，于洪区迎宾路街道某小区楼道漏水，签收超时2小时15分。" * 3
    lines = break_lines(text, grid_width, 28, first_indent=2)
    assert "".join(lines) == text
    assert all(grid_width(line) <= 28 for line in lines[1:]) and grid_width(lines[0]) <= 26
    assert not any(line[0] in START_FORBIDDEN for line in lines)
    assert all("QY2026112800135" in line for line in lines if "QY" in line)


def test_a_long_title_breaks_where_the_words_allow() -> None:
    lines = title_lines(ORDER.title, grid_width, 20)
    assert lines == ["关于督促办理区房产局", "超时未签收警情的督办通知"]
    assert title_lines("关于通报的通知", grid_width, 20) == ["关于通报的通知"]


def _item(height: float, *, keep: bool = False, header: Item | None = None) -> Item:
    return Item(height, lambda y: None, keep=keep, header=header)


def test_pagination_keeps_chains_together_and_repeats_table_headers() -> None:
    heading = _item(10, keep=True)
    items = [_item(10) for _ in range(8)] + [heading, _item(10)]
    pages = paginate(items, 95)
    assert heading in [item for _, item in pages[1]]  # moved with the line it keeps with
    head = _item(5, keep=True)
    rows = [_item(20, header=head) for _ in range(6)]
    pages = paginate([head, *rows], 95)
    assert [item for _, item in pages[1]][0] is head  # repeated on the next page
    assert sum(item in rows for page in pages for _, item in page) == 6


def test_a_very_long_title_takes_few_balanced_lines() -> None:
    title = (
        "关于督促办理区房产局、区城管局、区住建局、区市场监管局、区生态环境分局"
        "超时未签收及未按时反馈多起群众反映强烈警情的督办通知"
    )
    lines = title_lines(title, grid_width, 20)
    assert "".join(lines) == title
    assert len(lines) == 4 and all(grid_width(line) <= 20 for line in lines)
    assert lines[0] == "关于督促办理区房产局、区城管局、"  # broken after the enumeration comma
    assert not any(line[0] in START_FORBIDDEN for line in lines)

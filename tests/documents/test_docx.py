"""The .docx, opened with python-docx: texts in order, official fonts, page, red header, footer."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table
from docx.text.paragraph import Paragraph

from tests.documents.samples import ORDER


def _open(data: bytes) -> DocumentObject:
    assert data[:2] == b"PK"
    return Document(io.BytesIO(data))


def _texts(doc: DocumentObject) -> list[str]:
    """Every paragraph's text and every table cell's, in document order."""
    out: list[str] = []
    for part in doc.iter_inner_content():
        if isinstance(part, Paragraph):
            out.append(part.text)
        elif isinstance(part, Table):
            out += [cell.text for row in part.rows for cell in row.cells]
    return [t for t in out if t.strip()]


def _in_order(texts: list[str], expected: list[str]) -> None:
    joined = "\n".join(texts)
    at = 0
    for text in expected:
        found = joined.find(text, at)
        assert found >= 0, f"{text!r} missing, or out of order"
        at = found + len(text)


def _east_asia(paragraph: Paragraph) -> set[str]:
    return {
        run._r.rPr.rFonts.get(qn("w:eastAsia"))
        for run in paragraph.runs
        if run.text.strip() and run._r.rPr is not None and run._r.rPr.rFonts is not None
    }


def _paragraph(doc: DocumentObject, starts: str) -> Paragraph:
    return next(p for p in doc.paragraphs if p.text.startswith(starts))


def test_order_texts_in_order(order_docx: bytes) -> None:
    doc = _open(order_docx)
    _in_order(
        _texts(doc),
        [
            ORDER.issuer,
            "于联督〔2026〕12号",
            "关于督促办理区房产局\n超时未签收警情的督办通知",
            "区房产局：",
            "一、督办事项",
            "1.警情QY2026112800135",
            "3.警情QY2026112900188",
            "二、存在问题",
            "已被催办5次",
            "三、督办要求",
            "请于2026年12月3日17时前",
            "四、联系方式",
            "联系人及电话：李督办 024-12345678",
            ORDER.issuer,
            "2026年11月30日",
            "抄送：区政府办公室，区公安分局。",
            "2026年11月30日印发",
        ],
    )


def test_official_fonts_are_named_as_east_asian_fonts(order_docx: bytes) -> None:
    doc = _open(order_docx)
    assert _east_asia(_paragraph(doc, ORDER.issuer)) == {"方正小标宋简体"}
    assert _east_asia(_paragraph(doc, "关于督促")) == {"方正小标宋简体"}
    assert _east_asia(_paragraph(doc, "一、督办事项")) == {"黑体"}
    assert _east_asia(_paragraph(doc, "区房产局：")) == {"仿宋_GB2312"}
    assert _east_asia(_paragraph(doc, "1.警情")) == {"仿宋_GB2312"}
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    title = next(r for r in _paragraph(doc, "关于督促").runs if r.text)
    body = next(r for r in _paragraph(doc, "1.警情").runs if r.text)
    assert title.font.size.pt == 22 and body.font.size.pt == 16  # 2号 and 3号


def test_second_level_headings_in_kaiti(bulletin_docx: bytes) -> None:
    doc = _open(bulletin_docx)
    assert _east_asia(_paragraph(doc, "（一）一级联动单位")) == {"楷体_GB2312"}


def test_a4_and_the_official_margins(order_docx: bytes) -> None:
    section = _open(order_docx).sections[0]
    mm = Mm(1)
    for value, expected in (
        (section.page_width, 210),
        (section.page_height, 297),
        (section.top_margin, 37),
        (section.left_margin, 28),
        (section.right_margin, 26),
        (section.bottom_margin, 35),
    ):
        assert abs(value / mm - expected) < 0.1


def test_red_issuer_and_red_rule(order_docx: bytes) -> None:
    doc = _open(order_docx)
    issuer = _paragraph(doc, ORDER.issuer)
    assert issuer.alignment == 1  # centred
    assert all(str(r.font.color.rgb) == "FF0000" for r in issuer.runs if r.text)
    number = _paragraph(doc, ORDER.number)
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000" and rule.get(qn("w:val")) == "single"


def test_page_numbers_are_fields_right_on_odd_left_on_even(order_docx: bytes) -> None:
    doc = _open(order_docx)
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    for footer, alignment in ((section.footer, 2), (section.even_page_footer, 0)):
        p = footer.paragraphs[0]
        assert p.alignment == alignment
        instr = "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert instr.strip() == "PAGE"
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert _east_asia(p) == {"宋体"}
        assert {r.font.size.pt for r in p.runs if r.text} == {14}  # 4号


def test_seal_space_signature_and_imprint_at_the_bottom(order_docx: bytes) -> None:
    doc = _open(order_docx)
    paragraphs = doc.paragraphs
    date = max(i for i, p in enumerate(paragraphs) if p.text == ORDER.date)
    assert paragraphs[date - 1].text == ORDER.issuer
    assert all(not p.text for p in paragraphs[date - 4 : date - 1])  # room for the seal
    assert paragraphs[date].alignment == 2  # right
    framed = [
        p for p in paragraphs if p._p.pPr is not None and p._p.pPr.find(qn("w:framePr")) is not None
    ]
    assert any(p.text.startswith("\u3000抄送：") for p in framed)
    assert any(p.text.endswith("2026年11月30日印发") for p in framed)
    rules = [p._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:sz")) for p in framed]
    assert rules == ["8", "4", "8"]  # thick, thin, thick


def test_bulletin_texts_and_tables(bulletin_docx: bytes) -> None:
    doc = _open(bulletin_docx)
    texts = _texts(doc)
    _in_order(
        texts,
        [
            "于联通〔2026〕11号",
            "各联动单位：",
            "一、总体情况",
            "接收非警务警情（件）",
            "1286",
            "+112",
            "二、各单位考核排名",
            "（一）一级联动单位",
            "迎宾路街道",
            "（二）二级联动单位",
            "区房产局",
            "（三）三级联动单位",
            "区供电公司",
            "三、超时未办情况",
            "区房产局（12件）",
            "四、督办情况",
            "于联督〔2026〕9号",
            "五、典型案例",
            "六、工作要求",
            "各单位要进一步落实值班值守制度",
            "抄送：区委办公室",
        ],
    )
    assert len(doc.tables) == 4
    header = [c.text for c in doc.tables[1].rows[0].cells]
    assert header[:3] == ["排名", "单位", "得分"] and "回访满意率" in header
    first = [c.text for c in doc.tables[1].rows[1].cells]
    assert first[:4] == ["1", "迎宾路街道", "97.30", "99.3%"]


def test_without_copy_to_the_imprint_keeps_its_rules() -> None:
    from dataclasses import replace

    from liandong.documents import supervision_order_docx

    doc = _open(supervision_order_docx(replace(ORDER, copy_to="", printed_by="")))
    framed = [
        p
        for p in doc.paragraphs
        if p._p.pPr is not None and p._p.pPr.find(qn("w:framePr")) is not None
    ]
    assert [p.text.strip("\u3000") for p in framed] == ["", f"{ORDER.issuer}\n\t{ORDER.date}印发"]

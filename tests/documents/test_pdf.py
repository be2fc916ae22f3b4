"""The PDF, read back with pypdf: A4, the Chinese texts in order, embedded fonts, page numbers;
and the font lookup."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from liandong import documents
from liandong.documents import fonts
from tests.documents.samples import BULLETIN, ORDER


def _pages(data: bytes) -> list[str]:
    """Each page's text with all white space removed (lines break anywhere in Chinese), and the NULs
    that pypdf puts between the two-byte codes of these CID fonts (poppler's pdftotext reads the
    same text without them)."""
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"[\s\x00]+", "", page.extract_text()) for page in reader.pages]


def _in_order(text: str, expected: list[str]) -> None:
    at = 0
    for item in expected:
        found = text.find(re.sub(r"\s+", "", item), at)
        assert found >= 0, f"{item!r} missing, or out of order"
        at = found


def test_order_pdf_texts_in_order(order_pdf: bytes) -> None:
    pages = _pages(order_pdf)
    _in_order(
        "".join(pages),
        [
            ORDER.issuer,
            ORDER.number,
            ORDER.title,
            "区房产局：",
            "一、督办事项",
            *ORDER.items,
            "二、存在问题",
            "三、督办要求",
            "请于2026年12月3日17时前将办理结果和整改落实情况书面回复我办",
            "四、联系方式",
            "李督办024-12345678",
            ORDER.issuer,
            ORDER.date,
            "抄送：区政府办公室，区公安分局。",
            "2026年11月30日印发",
        ],
    )
    for n, text in enumerate(pages, 1):
        assert f"—{n}—" in text  # the page number on every page


def test_pdf_pages_are_a4_with_embedded_cjk_fonts(order_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(order_pdf))
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 595.28) < 0.5
        assert abs(float(page.mediabox.height) - 841.89) < 0.5
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    assert {"NotoSerifCJKSC", "NotoSansCJKSC", "NotoSerifCJKSCBold"} <= names


def test_bulletin_pdf_texts_in_order(bulletin_pdf: bytes) -> None:
    pages = _pages(bulletin_pdf)
    assert len(pages) >= 3
    _in_order(
        "".join(pages),
        [
            BULLETIN.number,
            "现将2026年11月全区110非警务警情联动处置工作情况通报如下：",
            "一、总体情况",
            "接收非警务警情（件）1286+112",
            "二、各单位考核排名",
            "（一）一级联动单位",
            "1迎宾路街道97.3099.3%",
            "（二）二级联动单位",
            "（三）三级联动单位",
            "三、超时未办情况",
            "区房产局（12件）",
            "四、督办情况",
            "五、典型案例",
            "六、工作要求",
            BULLETIN.date,
        ],
    )
    assert "抄送：区委办公室，区政府办公室，区公安分局。" in pages[-1]


def test_the_font_lookup_prefers_noto_and_reads_the_simplified_face() -> None:
    found = fonts.find_fonts()
    assert found.song.path.endswith("NotoSerifCJK-Regular.ttc")
    assert found.hei.path.endswith("NotoSansCJK-Regular.ttc")
    from fontTools.ttLib import TTFont

    with TTFont(found.song.path, fontNumber=found.song.index, lazy=True) as font:
        assert font["name"].getDebugName(1) == "Noto Serif CJK SC"


def test_the_override_serves_every_role(monkeypatch: pytest.MonkeyPatch) -> None:
    path = fonts.find_fonts().hei.path
    monkeypatch.setenv(fonts.ENV_VAR, path)
    found = fonts.find_fonts()
    assert found.song == found.hei == found.kai == found.song_bold
    assert found.song.path == path


def test_a_missing_override_is_named_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.ENV_VAR, "/nowhere/font.ttf")
    with pytest.raises(fonts.CJKFontNotFound, match="LIANDONG_CJK_FONT 指定的字体文件不存在"):
        fonts.find_fonts()


def test_no_font_at_all_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", {"song": [("/nowhere/a.ttc", "A")]})
    with pytest.raises(fonts.CJKFontNotFound, match="fonts-noto-cjk") as error:
        documents.supervision_order_pdf(ORDER)
    assert "未找到可用于生成 PDF 的中文字体" in str(error.value)


def test_without_a_kaiti_font_the_text_font_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = dict(fonts.CANDIDATES)
    candidates["kai"] = [("/nowhere/ukai.ttc", "AR PL UKai CN"), *fonts.CANDIDATES["song"]]
    monkeypatch.setattr(fonts, "CANDIDATES", candidates)
    found = fonts.find_fonts()
    assert found.kai == found.song
    assert Path(found.kai.path).name == "NotoSerifCJK-Regular.ttc"


def _placed(data: bytes) -> list[list[tuple[float, float, str]]]:
    """Per page: (x, y, text) of every piece of text, in points from the bottom left."""
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        hits: list[tuple[float, float, str]] = []

        def visit(text: str, cm: object, tm: list[float], *_: object) -> None:
            if clean := re.sub(r"[\s\x00]+", "", text):
                hits.append((tm[4], tm[5], clean))  # noqa: B023 - used at once

        page.extract_text(visitor_text=visit)
        out.append(hits)
    return out


MM = 72 / 25.4


def test_text_block_page_numbers_and_imprint_where_the_standard_puts_them(order_pdf: bytes) -> None:
    pages = _placed(order_pdf)
    assert len(pages) >= 2
    for n, hits in enumerate(pages, 1):
        number = next(h for h in hits if h[2] == f"—{n}—")
        assert abs(number[1] - (35 - 7 - 4.9 * 0.88) * MM) < 2  # 7 mm under the text block
        if n % 2:
            assert number[0] > 150 * MM  # odd pages: right
        else:
            assert number[0] < 40 * MM  # even pages: left
        body = [h for h in hits if h is not number]
        assert min(x for x, _, _ in body) >= 28 * MM - 0.5  # the left margin
        assert max(y for _, y, _ in body) <= (297 - 37) * MM  # under the top margin
    last = pages[-1]
    printed = next(h for h in last if h[2].endswith("印发"))
    copy_to = next(h for h in last if h[2].startswith("抄送："))
    assert 35 * MM < printed[1] < 45 * MM  # the 版记's last line on the last line of the page
    assert copy_to[1] > printed[1]


def test_without_copy_to_the_imprint_has_only_the_printing_line(cjk_fonts: None) -> None:
    from dataclasses import replace

    data = documents.supervision_order_pdf(replace(ORDER, copy_to=""))
    pages = _pages(data)
    text = "".join(pages)
    assert "抄送" not in text and text.endswith(f"2026年11月30日印发—{len(pages)}—")

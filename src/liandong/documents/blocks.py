"""The parts of an official document (GB/T 9704-2012), shared by the .docx and the PDF renderers.

`compose.py` turns a document dataclass into a tuple of these blocks; each renderer lays them out in
its own format, so both formats carry the same texts in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Align = Literal["L", "C", "R"]


@dataclass(frozen=True)
class Masthead:
    """版头: the issuing body in red, the document number, the red rule."""

    issuer: str
    number: str


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Addressee:
    """主送机关, flush left, the full-width colon included in `text`."""

    text: str


@dataclass(frozen=True)
class Heading:
    """Level 1: 黑体 "一、…"; level 2: 楷体 "（一）…"."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Body text in 仿宋, first line indented by two characters, justified."""

    text: str


@dataclass(frozen=True)
class Column:
    label: str
    width_mm: float
    align: Align = "C"


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    size_pt: float = 10.5  # 五号


@dataclass(frozen=True)
class Signature:
    """发文机关署名 and 成文日期 at the lower right, below the space for the seal."""

    issuer: str
    date: str


@dataclass(frozen=True)
class Imprint:
    """版记: 抄送, then 印发机关 and 印发日期, between rules, at the end of the last page."""

    copy_to: str
    printed_by: str
    printed_date: str


Block = Masthead | Title | Addressee | Heading | Paragraph | Table | Signature | Imprint


# Sizes (GB/T 9704-2012 and the usual Word sizes: 2号 22 pt, 3号 16 pt, 4号 14 pt).
TITLE_PT = 22.0
BODY_PT = 16.0
IMPRINT_PT = 14.0
PAGE_NUMBER_PT = 14.0
RED = (0xFF, 0x00, 0x00)
RED_HEX = "FF0000"

# A4 and the text block.
PAGE_W_MM = 210.0
PAGE_H_MM = 297.0
MARGIN_TOP_MM = 37.0
MARGIN_LEFT_MM = 28.0
TEXT_W_MM = 156.0
TEXT_H_MM = 225.0
MARGIN_RIGHT_MM = PAGE_W_MM - MARGIN_LEFT_MM - TEXT_W_MM  # 26
MARGIN_BOTTOM_MM = PAGE_H_MM - MARGIN_TOP_MM - TEXT_H_MM  # 35
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_MM = TEXT_H_MM / LINES_PER_PAGE  # 10.23 mm, 28.95 pt
CHAR_MM = TEXT_W_MM / CHARS_PER_LINE  # 5.57 mm: a 16 pt character with -0.2 pt spacing
PT_MM = 25.4 / 72

# The space left for the seal between the end of the body and the signature, in lines.
SEAL_LINES = 3


def text_em(text: str) -> float:
    """Width in ems as a grid counts it: CJK and full-width characters 1, ASCII 1/2."""
    return sum(0.5 if ord(ch) < 0x2E80 and ch not in "—…“”‘’·" else 1.0 for ch in text)

"""The PDF canvas (fpdf2) and a small page layout: items of a known height, placed page by page.

Items keep with the next one where the document needs it (a heading with its first line, the end of
the body with the seal space and the signature, a table's header with its first row); a table row
that starts a page repeats the table's header first; the 版记 goes to the bottom of the last page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fpdf import FPDF

from . import blocks as b
from .fonts import FontFile, find_fonts

FONT_ROLES = ("song", "song_bold", "hei", "kai")
# Where the glyphs of a CJK font sit in their em box (ideographic em box: 0.88 up, 0.12 down).
ASCENT = 0.88


@dataclass
class Item:
    height: float  # mm
    draw: Callable[[float], None]  # draws with its top at y (mm from the page top)
    keep: bool = False  # keep on the same page as the next item
    space: bool = False  # vertical space: dropped at the top of a page
    header: Item | None = None  # drawn first when this item starts a page (a table's header)


class Canvas(FPDF):
    """An A4 page in the GB/T 9704 text block, with "— n —" page numbers in the footer."""

    def __init__(self, title: str, author: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(b.MARGIN_LEFT_MM, b.MARGIN_TOP_MM, b.MARGIN_RIGHT_MM)
        self.set_auto_page_break(False)
        self.set_title(title)
        self.set_author(author)
        self.set_creator("于洪区110非警务警情联动处置平台")
        self.set_lang("zh-CN")
        fonts = self.font_files = find_fonts()
        for role in FONT_ROLES:
            font: FontFile = getattr(fonts, role)
            self.add_font(role, fname=font.path, collection_font_number=font.index)
        self._cmaps: dict[str, set[int]] = {}

    def footer(self) -> None:
        # 4号 宋体, the dash's top 7 mm below the text block; odd pages right, even pages left,
        # one character in from the edge of the text block.
        size = b.PAGE_NUMBER_PT
        em = size * b.PT_MM
        text = f"— {self.page_no()} —"
        self.set_text_color(0, 0, 0)
        self.use("song", size)
        w = self.get_string_width(text)
        odd = self.page_no() % 2 == 1
        x = b.MARGIN_LEFT_MM + b.TEXT_W_MM - em - w if odd else b.MARGIN_LEFT_MM + em
        self.text(x, b.MARGIN_TOP_MM + b.TEXT_H_MM + 7.0 + em * ASCENT, text)

    # -- text ---------------------------------------------------------------------------------

    def use(self, role: str, size_pt: float, spacing_pt: float = 0.0, stretch: float = 100) -> None:
        self.set_font(role, size=size_pt)
        self.set_char_spacing(spacing_pt)
        self.set_stretching(stretch)

    def covers(self, role: str, text: str) -> bool:
        """Whether the font of `role` has a glyph for every character of `text`."""
        if role not in self._cmaps:
            self._cmaps[role] = set(getattr(self.fonts[role], "cmap", {}))
        cmap = self._cmaps[role]
        return all(ord(ch) in cmap or ch.isspace() for ch in text)

    def width_fn(
        self, role: str, size_pt: float, spacing_pt: float = 0.0
    ) -> Callable[[str], float]:
        def width(text: str) -> float:
            self.use(role, size_pt)
            return self.get_string_width(text) + len(text) * spacing_pt * b.PT_MM

        return width

    def line(  # type: ignore[override]
        self,
        text: str,
        x: float,
        y_top: float,
        box_w: float,
        height: float,
        role: str,
        size_pt: float,
        *,
        align: str = "L",
        spacing_pt: float = 0.0,
        justify: bool = False,
        stretch: float = 100,
        color: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        """One line of text in a box (x, y_top, box_w, height), vertically centred."""
        if not text:
            return
        em = size_pt * b.PT_MM
        self.use(role, size_pt, 0.0, stretch)
        natural = self.get_string_width(text)
        spacing_mm = spacing_pt * b.PT_MM * stretch / 100
        if justify and len(text) > 1:
            gap = (box_w - natural) / (len(text) - 1)
            if -0.1 * em < gap < 0.5 * em:  # a line broken early stays as it is
                spacing_mm = gap
        visible = natural + spacing_mm * (len(text) - 1)
        if align == "C":
            x += (box_w - visible) / 2
        elif align == "R":
            x += box_w - visible
        self.use(role, size_pt, spacing_mm / b.PT_MM / (stretch / 100), stretch)
        self.set_text_color(*color)
        self.text(x, y_top + (height - em) / 2 + em * ASCENT, text)
        self.set_char_spacing(0)
        self.set_stretching(100)
        self.set_text_color(0, 0, 0)

    def rule(self, y: float, thickness: float, color: tuple[int, int, int] = (0, 0, 0)) -> None:
        """A rule across the text block, `y` its centre."""
        self.set_draw_color(*color)
        self.set_line_width(thickness)
        super().line(b.MARGIN_LEFT_MM, y, b.MARGIN_LEFT_MM + b.TEXT_W_MM, y)
        self.set_draw_color(0, 0, 0)


def paginate(items: list[Item], page_h: float) -> list[list[tuple[float, Item]]]:
    """Items placed on pages: (y from the text block's top, item)."""
    pages: list[list[tuple[float, Item]]] = []
    page: list[tuple[float, Item, int]] = []  # (y, item, index in items; -1 for a repeated header)
    y = 0.0
    i = 0
    while i < len(items):
        item = items[i]
        if not page and item.space:
            i += 1
            continue
        if not page and item.header is not None:
            page.append((0.0, item.header, -1))
            y = item.header.height
        if y + item.height <= page_h + 1e-6 or all(index < 0 for _, _, index in page):
            page.append((y, item, i))
            y += item.height
            i += 1
            continue
        # It does not fit: a new page, taking along what must stay with this item (unless all of
        # this page hangs together, then it breaks here after all).
        kept = 0
        while kept < len(page) and page[-1 - kept][1].keep:
            kept += 1
        if 0 < kept < len(page) and page[-kept][2] >= 0:
            i = page[-kept][2]
            del page[-kept:]
        pages.append([(top, placed) for top, placed, _ in page])
        page, y = [], 0.0
    if page:
        pages.append([(top, placed) for top, placed, _ in page])
    return pages

"""The .docx of a document: GB/T 9704 layout, naming the official Chinese fonts (w:eastAsia) so that
the office PCs that open it render it in 仿宋_GB2312, 方正小标宋简体, 黑体 and 楷体_GB2312."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from . import blocks as b
from .docx_xml import (
    add_page_field,
    cant_split,
    chars_indent,
    frame_at,
    no_autospace,
    paragraph_border,
    repeat_header,
    set_rpr_fonts,
    style_run,
    table_cell_margins,
)
from .linebreak import title_lines

# The official fonts, as Word knows them on an office PC.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"

# 28 characters of 3号 on a 156 mm line: -0.2 pt between characters (w:spacing in twips).
BODY_SPACING_TWIPS = round((b.CHAR_MM / b.PT_MM - b.BODY_PT) * 20)
ISSUER_MAX_PT = 36.0
ISSUER_MIN_SCALE = 75
ALIGN = {
    "L": WD_ALIGN_PARAGRAPH.LEFT,
    "C": WD_ALIGN_PARAGRAPH.CENTER,
    "R": WD_ALIGN_PARAGRAPH.RIGHT,
}


def _em_mm(text: str, size_pt: float) -> float:
    return b.text_em(text) * size_pt * b.PT_MM


class Writer:
    def __init__(self, title: str, author: str) -> None:
        self.doc: DocumentObject = Document()
        self.doc.core_properties.title = title
        self.doc.core_properties.author = author
        self.doc.core_properties.language = "zh-CN"
        self._page_setup()
        self._normal_style()
        self.last_body: Paragraph | None = None

    def _page_setup(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(b.PAGE_W_MM), Mm(b.PAGE_H_MM)
        section.top_margin, section.bottom_margin = Mm(b.MARGIN_TOP_MM), Mm(b.MARGIN_BOTTOM_MM)
        section.left_margin, section.right_margin = Mm(b.MARGIN_LEFT_MM), Mm(b.MARGIN_RIGHT_MM)
        section.header_distance = Mm(15)
        # The page number's dash 7 mm below the text block (its line about 6.5 mm high).
        section.footer_distance = Mm(b.MARGIN_BOTTOM_MM - 7 - 6.5)
        self.doc.settings.odd_and_even_pages_header_footer = True
        for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
            p = footer.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
            if odd:
                chars_indent(p, right=1, char_pt=b.PAGE_NUMBER_PT)
            else:
                chars_indent(p, left=1, char_pt=b.PAGE_NUMBER_PT)
            style_run(p.add_run("— "), SONGTI, b.PAGE_NUMBER_PT)
            add_page_field(p, SONGTI, b.PAGE_NUMBER_PT)
            style_run(p.add_run(" —"), SONGTI, b.PAGE_NUMBER_PT)

    def _normal_style(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = "Times New Roman"
        normal.font.size = Pt(b.BODY_PT)
        set_rpr_fonts(normal.element.get_or_add_rPr(), FANGSONG)
        fmt = normal.paragraph_format  # type: ignore[attr-defined]
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(b.LINE_MM / b.PT_MM)
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.widow_control = False

    # -- paragraphs ---------------------------------------------------------------------------

    def para(self, text: str = "", font: str = FANGSONG, size: float = b.BODY_PT, *,
             align: str = "J", first_line: float = 0) -> Paragraph:  # fmt: skip
        p = self.doc.add_paragraph()
        p.alignment = ALIGN.get(align, WD_ALIGN_PARAGRAPH.JUSTIFY)
        if first_line:
            chars_indent(p, first_line=first_line)
        if text:
            style_run(p.add_run(text), font, size, spacing_twips=BODY_SPACING_TWIPS)
        return p

    def blank(self, lines: int = 1) -> list[Paragraph]:
        return [self.para() for _ in range(lines)]

    # -- blocks -------------------------------------------------------------------------------

    def masthead(self, block: b.Masthead) -> None:
        size, scale = ISSUER_MAX_PT, 100
        natural = _em_mm(block.issuer, size)
        room = b.TEXT_W_MM * 0.95  # the office's fonts may run a little wider than the estimate
        if natural > room:
            scale = max(ISSUER_MIN_SCALE, int(100 * room / natural))
            size = min(size, size * room / (natural * scale / 100))
            size = int(size * 2) / 2  # Word's half points
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing = Pt(size * 1.3)
        style_run(p.add_run(block.issuer), XIAOBIAOSONG, size, color=b.RED_HEX, scale=scale)
        self.blank(2)  # 空二行
        number = self.para(block.number, align="C")
        # The red rule 4 mm below the number, across the text block.
        paragraph_border(number, "bottom", 12, b.RED_HEX, 11)
        self.blank(2)  # 空二行

    def title(self, block: b.Title) -> None:
        lines = title_lines(block.text, lambda t: _em_mm(t, b.TITLE_PT), b.TEXT_W_MM)
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for n, line in enumerate(lines):
            run = style_run(p.add_run(line), XIAOBIAOSONG, b.TITLE_PT)
            if n < len(lines) - 1:
                run.add_break(WD_BREAK.LINE)
        self.blank()  # 空一行

    def heading(self, block: b.Heading) -> None:
        p = self.para(block.text, HEITI if block.level == 1 else KAITI, first_line=2)
        p.paragraph_format.keep_with_next = True
        self.last_body = p

    def table(self, block: b.Table) -> None:
        columns = block.columns
        table = self.doc.add_table(rows=1 + len(block.rows), cols=len(columns))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        table_cell_margins(table, 45)  # 0.8 mm, as in the PDF
        scale = b.TEXT_W_MM / sum(c.width_mm for c in columns)
        for grid_col, column in zip(table._tbl.tblGrid.gridCol_lst, columns, strict=True):
            grid_col.w = Mm(column.width_mm * scale)
        for r, cells in enumerate((tuple(c.label for c in columns), *block.rows)):
            row = table.rows[r]
            if r == 0:
                repeat_header(row)
            for cell, text, column in zip(row.cells, cells, columns, strict=True):
                cell.width = Mm(column.width_mm * scale)
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                p = cell.paragraphs[0]
                p.alignment = ALIGN["C" if r == 0 else column.align]
                fmt = p.paragraph_format
                fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
                fmt.space_before = fmt.space_after = Pt(1)
                style_run(p.add_run(text), HEITI if r == 0 else FANGSONG, block.size_pt)
                # The header stays with the first row (and the heading before it with both).
                fmt.keep_with_next = r <= 1
            cant_split(row)
        self.para().paragraph_format.line_spacing = Pt(b.LINE_MM / b.PT_MM / 2)

    def signature(self, block: b.Signature) -> None:
        if self.last_body is not None:
            self.last_body.paragraph_format.keep_with_next = True
        for p in self.blank(b.SEAL_LINES):  # the space for the seal
            p.paragraph_format.keep_with_next = True
        issuer_em, date_em = b.text_em(block.issuer), b.text_em(block.date)
        longer = max(issuer_em, date_em)
        for text, em in ((block.issuer, issuer_em), (block.date, date_em)):
            p = self.para(text, align="R")
            # 右空二字; the shorter of the two centred on the longer.
            chars_indent(p, right=2 + (longer - em) / 2)
            p.paragraph_format.keep_with_next = text == block.issuer

    def imprint(self, block: b.Imprint) -> None:
        """版记 at the bottom of the last page: 抄送, then 印发机关 and 印发日期, between rules as wide
        as the text block (the text keeps its one-character margins by a full-width space and a
        right tab). Each line is a frame placed from the bottom up."""
        size = b.IMPRINT_PT
        line_pt = size * 1.6
        # A hair narrower than the text block: LibreOffice treats a frame as wide as the text block
        # as plain paragraphs.
        width = round((b.TEXT_W_MM - 1) / 25.4 * 1440)
        room = b.TEXT_W_MM / (size * b.PT_MM) - 2  # characters between the margins
        printed = f"{block.printed_date}印发"
        apart = b.text_em(block.printed_by) + b.text_em(printed) + 2 > room
        # Each line is a frame with a rule under it (LibreOffice keeps a frame only if its paragraph
        # has no other border): an empty line over the first thick rule, the 抄送 line(s) over the
        # thin rule, the 印发 line(s) over the last thick rule; placed from the bottom up.
        # (paragraph, height in points: its lines and its rule with 1 pt of space)
        frames: list[tuple[Paragraph, float]] = []

        def framed(lines: int, rule: int, line_height: float) -> Paragraph:
            if frames:  # a tiny plain paragraph between frames, or LibreOffice merges them
                self.doc.add_paragraph().paragraph_format.line_spacing = Pt(1)
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            p.paragraph_format.line_spacing = Pt(line_height)
            paragraph_border(p, "bottom", rule, "000000", 1)
            frames.append((p, lines * line_height + 1 + rule / 8))
            return p

        style_run(framed(1, 8, 1).add_run(""), FANGSONG, 1)
        if block.copy_to:
            text = f"\u3000抄送：{block.copy_to}。".replace("。。", "。")
            lines = int(-(-b.text_em(text) // room))
            style_run(framed(lines, 4, line_pt).add_run(text), FANGSONG, size)
        p = framed(2 if apart else 1, 8, line_pt)
        p.paragraph_format.tab_stops.add_tab_stop(
            Mm(b.TEXT_W_MM - size * b.PT_MM), WD_TAB_ALIGNMENT.RIGHT
        )
        run = style_run(p.add_run(f"\u3000{block.printed_by}"), FANGSONG, size)
        if apart:
            run.add_break(WD_BREAK.LINE)
        style_run(p.add_run("\t" + printed), FANGSONG, size)
        y = b.TEXT_H_MM / b.PT_MM
        for paragraph, height in reversed(frames):
            y -= height
            frame_at(paragraph, width, round(y * 20))

    def add(self, block: b.Block) -> None:
        if isinstance(block, b.Masthead):
            self.masthead(block)
        elif isinstance(block, b.Title):
            self.title(block)
        elif isinstance(block, b.Addressee):
            self.para(block.text)
        elif isinstance(block, b.Heading):
            self.heading(block)
        elif isinstance(block, b.Paragraph):
            self.last_body = self.para(block.text, first_line=2)
        elif isinstance(block, b.Table):
            self.table(block)
        elif isinstance(block, b.Signature):
            self.signature(block)
        elif isinstance(block, b.Imprint):
            self.imprint(block)


def render_docx(blocks: tuple[b.Block, ...], title: str, author: str) -> bytes:
    writer = Writer(title, author)
    for block in blocks:
        writer.add(block)
    no_autospace(writer.doc)
    out = io.BytesIO()
    writer.doc.save(out)
    return out.getvalue()

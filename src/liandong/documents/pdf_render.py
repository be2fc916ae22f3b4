"""The PDF of a document: its blocks laid out on A4 pages in the GB/T 9704 text block."""

from __future__ import annotations

import logging

from . import blocks as b
from .linebreak import break_lines, title_lines
from .pdf_layout import Canvas, Item, paginate

# fontTools reports every subsetting step at INFO: keep the product's logs readable.
logging.getLogger("fontTools").setLevel(logging.WARNING)

L = b.LINE_MM
X0 = b.MARGIN_LEFT_MM
W = b.TEXT_W_MM
# Body text: 3号 with the spacing that puts 28 characters on a 156 mm line.
BODY_SPACING_PT = b.CHAR_MM / b.PT_MM - b.BODY_PT
ISSUER_MAX_PT = 36.0
ISSUER_MIN_STRETCH = 75.0
CELL_PAD_MM = 0.8
KAI_SCALE = 1.12


class Layout:
    def __init__(self, pdf: Canvas) -> None:
        self.pdf = pdf
        self.items: list[Item] = []
        self.imprint: Item | None = None
        self.body_width = pdf.width_fn("song", b.BODY_PT, BODY_SPACING_PT)

    def space(self, height: float) -> None:
        self.items.append(Item(height, lambda y: None, space=True))

    def text_lines(
        self, text: str, role: str, *, indent_chars: float = 2, keep: bool = False
    ) -> None:
        """A paragraph in 3号: indented first line, justified lines, the last one not."""
        if role != "song" and not self.pdf.covers(role, text):
            role = "song"  # a 楷体 font without some character: the text font has it
        size = b.BODY_PT
        if role == "kai" and self.pdf.font_files.kai != self.pdf.font_files.song:
            size *= KAI_SCALE  # AR PL UKai draws small in its em square
        spacing = b.CHAR_MM / b.PT_MM - size  # 28 characters to the line
        width = self.pdf.width_fn(role, size, spacing)
        indent = indent_chars * b.CHAR_MM
        lines = break_lines(text, width, W, indent)
        for n, line in enumerate(lines):
            x = X0 + (indent if n == 0 else 0)
            last = n == len(lines) - 1

            def draw(y: float, line: str = line, x: float = x, last: bool = last) -> None:
                self.pdf.line(
                    line, x, y, X0 + W - x, L, role, size, spacing_pt=spacing, justify=not last
                )

            self.items.append(Item(L, draw, keep=keep))

    # -- blocks ---------------------------------------------------------------------------------

    def masthead(self, block: b.Masthead) -> None:
        pdf = self.pdf
        size, stretch = ISSUER_MAX_PT, 100.0
        natural = pdf.width_fn("song_bold", size)(block.issuer)
        if natural > W:
            stretch = max(ISSUER_MIN_STRETCH, 100 * W / natural)
            size = min(size, size * W / (natural * stretch / 100))
        height = size * b.PT_MM * 1.3

        def issuer(y: float) -> None:
            pdf.line(block.issuer, X0, y, W, height, "song_bold", size, align="C",
                     stretch=stretch, color=b.RED)  # fmt: skip

        self.items.append(Item(height, issuer, keep=True))
        self.items.append(Item(2 * L, lambda y: None, keep=True))  # 空二行

        em = b.BODY_PT * b.PT_MM

        def number(y: float) -> None:
            pdf.line(block.number, X0, y, W, L, "song", b.BODY_PT, align="C")
            pdf.rule(y + (L + em) / 2 + 4.0, 0.6, b.RED)  # 4 mm below the number

        self.items.append(Item(L + 4.0, number, keep=True))
        self.space(2 * L)  # 空二行

    def title(self, block: b.Title) -> None:
        width = self.pdf.width_fn("song_bold", b.TITLE_PT)
        for line in title_lines(block.text, width, W):

            def draw(y: float, line: str = line) -> None:
                self.pdf.line(line, X0, y, W, L, "song_bold", b.TITLE_PT, align="C")

            self.items.append(Item(L, draw, keep=True))
        self.space(L)  # 空一行

    def heading(self, block: b.Heading) -> None:
        self.text_lines(block.text, "hei" if block.level == 1 else "kai", keep=True)

    def table(self, block: b.Table) -> None:
        pdf, size = self.pdf, block.size_pt
        line_h = size * b.PT_MM * 1.35
        scale = W / sum(c.width_mm for c in block.columns)
        widths = [c.width_mm * scale for c in block.columns]

        def row_item(cells: tuple[str, ...], role: str, header: Item | None) -> Item:
            wrapped = [
                break_lines(text, pdf.width_fn(role, size), w - 2 * CELL_PAD_MM)
                for text, w in zip(cells, widths, strict=True)
            ]
            height = max(len(lines) for lines in wrapped) * line_h + 2 * CELL_PAD_MM

            def draw(y: float) -> None:
                x = X0
                pdf.set_line_width(0.25)
                for lines, w, column in zip(wrapped, widths, block.columns, strict=True):
                    pdf.rect(x, y, w, height)
                    top = y + (height - len(lines) * line_h) / 2
                    align = "C" if role == "hei" else column.align
                    for n, text in enumerate(lines):
                        pdf.line(text, x + CELL_PAD_MM, top + n * line_h,
                                 w - 2 * CELL_PAD_MM, line_h, role, size, align=align)  # fmt: skip
                    x += w

            return Item(height, draw, header=header)

        self.space(L / 4)
        head = row_item(tuple(c.label for c in block.columns), "hei", None)
        head.keep = True
        self.items.append(head)
        for cells in block.rows:
            self.items.append(row_item(cells, "song", head))
        self.space(L / 2)

    def signature(self, block: b.Signature) -> None:
        # The last line of the body stays with the seal space and the signature (no lone seal).
        if self.items:
            self.items[-1].keep = True
        self.items.append(Item(b.SEAL_LINES * L, lambda y: None, keep=True))
        issuer_w = self.body_width(block.issuer)
        date_w = self.body_width(block.date)
        longer = max(issuer_w, date_w)
        right = X0 + W - 2 * b.CHAR_MM  # 右空二字, the shorter centred on the longer
        for text, w, keep in ((block.issuer, issuer_w, True), (block.date, date_w, False)):
            x = right - longer + (longer - w) / 2

            def draw(y: float, text: str = text, x: float = x) -> None:
                self.pdf.line(text, x, y, W, L, "song", b.BODY_PT, spacing_pt=BODY_SPACING_PT)

            self.items.append(Item(L, draw, keep=keep))

    def imprint_block(self, block: b.Imprint) -> None:
        pdf, size = self.pdf, b.IMPRINT_PT
        em = size * b.PT_MM
        line_h = 7.5
        width = pdf.width_fn("song", size)
        copy_lines = (
            break_lines(f"抄送：{block.copy_to}。".replace("。。", "。"), width, W - 2 * em)
            if block.copy_to
            else []
        )
        printed = f"{block.printed_date}印发"
        # 印发机关 left and 印发日期 right on one line, or on two when they do not fit side by side.
        apart = width(block.printed_by) + width(printed) + 2 * em > W - 2 * em
        height = (len(copy_lines) + 1 + apart) * line_h

        def draw(y: float) -> None:
            pdf.rule(y, 0.35)
            for n, text in enumerate(copy_lines):
                indent = 0 if n == 0 else width("抄送：")
                pdf.line(text, X0 + em + indent, y + n * line_h, W - 2 * em - indent, line_h,
                         "song", size, justify=n < len(copy_lines) - 1)  # fmt: skip
            y += len(copy_lines) * line_h
            if copy_lines:
                pdf.rule(y, 0.25)
            pdf.line(block.printed_by, X0 + em, y, W - 2 * em, line_h, "song", size)
            y += line_h if apart else 0
            pdf.line(printed, X0 + em, y, W - 2 * em, line_h, "song", size, align="R")
            pdf.rule(y + line_h, 0.35)

        self.imprint = Item(height, draw)

    def add(self, block: b.Block) -> None:
        if isinstance(block, b.Masthead):
            self.masthead(block)
        elif isinstance(block, b.Title):
            self.title(block)
        elif isinstance(block, b.Addressee):
            self.text_lines(block.text, "song", indent_chars=0)
        elif isinstance(block, b.Heading):
            self.heading(block)
        elif isinstance(block, b.Paragraph):
            self.text_lines(block.text, "song")
        elif isinstance(block, b.Table):
            self.table(block)
        elif isinstance(block, b.Signature):
            self.signature(block)
        elif isinstance(block, b.Imprint):
            self.imprint_block(block)


def render_pdf(blocks: tuple[b.Block, ...], title: str, author: str) -> bytes:
    pdf = Canvas(title, author)
    layout = Layout(pdf)
    for block in blocks:
        layout.add(block)
    pages = paginate(layout.items, b.TEXT_H_MM)
    if layout.imprint is not None:
        # 版记 at the bottom of the last page, on a page of its own if it does not fit there.
        imprint = layout.imprint
        last = pages[-1] if pages else []
        used = (last[-1][0] + last[-1][1].height) if last else 0.0
        top = b.TEXT_H_MM - imprint.height
        if used > top + 1e-6:
            pages.append([])
        pages[-1].append((top, imprint))
    for page in pages:
        pdf.add_page()
        for y, item in page:
            item.draw(b.MARGIN_TOP_MM + y)
    return bytes(pdf.output())

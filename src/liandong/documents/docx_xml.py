"""Low-level WordprocessingML for the .docx: East Asian font names, borders, fields, frames.

python-docx covers paragraphs, runs, tables and sections; what it lacks (w:eastAsia font names,
character scale and spacing, paragraph and table borders, page-number fields, floating tables) is set
here on the XML.
"""

from __future__ import annotations

from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

LATIN_FONT = "Times New Roman"


# The schema's order of the children (Word refuses a file whose order is wrong).
_ORDER = {
    "w:pPr": [
        "w:pStyle",
        "w:keepNext",
        "w:keepLines",
        "w:pageBreakBefore",
        "w:framePr",
        "w:widowControl",
        "w:numPr",
        "w:suppressLineNumbers",
        "w:pBdr",
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    ],
    "w:rPr": [
        "w:rStyle",
        "w:rFonts",
        "w:b",
        "w:bCs",
        "w:i",
        "w:iCs",
        "w:caps",
        "w:smallCaps",
        "w:strike",
        "w:dstrike",
        "w:outline",
        "w:shadow",
        "w:emboss",
        "w:imprint",
        "w:noProof",
        "w:snapToGrid",
        "w:vanish",
        "w:webHidden",
        "w:color",
        "w:spacing",
        "w:w",
        "w:kern",
        "w:position",
        "w:sz",
        "w:szCs",
        "w:highlight",
        "w:u",
        "w:effect",
        "w:bdr",
        "w:shd",
        "w:fitText",
        "w:vertAlign",
        "w:rtl",
        "w:cs",
        "w:em",
        "w:lang",
        "w:eastAsianLayout",
        "w:specVanish",
        "w:oMath",
    ],
    "w:tblPr": [
        "w:tblStyle",
        "w:tblpPr",
        "w:tblOverlap",
        "w:bidiVisual",
        "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize",
        "w:tblW",
        "w:jc",
        "w:tblCellSpacing",
        "w:tblInd",
        "w:tblBorders",
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
    ],
}


def _child(parent: Any, tag: str) -> Any:
    """The child element `tag` of `parent`, created in its schema position if missing."""
    element = parent.find(qn(tag))
    if element is not None:
        return element
    element = OxmlElement(tag)
    order = _ORDER.get(str(parent.tag).replace(qn("w:x")[:-1], "w:"), [])
    later = {qn(t) for t in order[order.index(tag) + 1 :]} if tag in order else set()
    for n, existing in enumerate(parent):
        if existing.tag in later:
            parent.insert(n, element)
            return element
    parent.append(element)
    return element


def set_rpr_fonts(rpr: Any, east_asia: str, latin: str = LATIN_FONT) -> None:
    """w:rFonts on a w:rPr: the East Asian font (the official Chinese font name) and a Latin one."""
    fonts = _child(rpr, "w:rFonts")
    for attr, value in (
        ("w:ascii", latin),
        ("w:hAnsi", latin),
        ("w:cs", latin),
        ("w:eastAsia", east_asia),
    ):
        fonts.set(qn(attr), value)
    fonts.set(qn("w:hint"), "eastAsia")


def style_run(
    run: Run,
    east_asia: str,
    size_pt: float,
    *,
    color: str | None = None,
    scale: int = 100,
    spacing_twips: int = 0,
    bold: bool = False,
) -> Run:
    run.font.size = Pt(size_pt)
    run.font.name = LATIN_FONT
    run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    rpr = run._r.get_or_add_rPr()
    set_rpr_fonts(rpr, east_asia)
    if spacing_twips:
        _child(rpr, "w:spacing").set(qn("w:val"), str(spacing_twips))
    if scale != 100:
        _child(rpr, "w:w").set(qn("w:val"), str(scale))
    return run


def border(edge: str, size_eighths: int, color: str = "000000", space_pt: int = 0) -> Any:
    element = OxmlElement(f"w:{edge}")
    element.set(qn("w:val"), "single")
    element.set(qn("w:sz"), str(size_eighths))
    element.set(qn("w:space"), str(space_pt))
    element.set(qn("w:color"), color)
    return element


def paragraph_border(
    paragraph: Paragraph, edge: str, size_eighths: int, color: str, space_pt: int
) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    pbdr = _child(ppr, "w:pBdr")
    # w:pBdr's own order: top, left, bottom, right, between.
    pbdr.append(border(edge, size_eighths, color, space_pt))


def chars_indent(paragraph: Paragraph, *, first_line: float = 0, left: float = 0, right: float = 0,
                 hanging: float = 0, char_pt: float = 16.0) -> None:  # fmt: skip
    """Indents in characters (w:firstLineChars and the like, hundredths of a character), with the
    twips for programs that ignore the character units."""
    ppr = paragraph._p.get_or_add_pPr()
    ind = _child(ppr, "w:ind")
    for name, chars in (("firstLine", first_line), ("left", left), ("right", right),
                        ("hanging", hanging)):  # fmt: skip
        if chars:
            ind.set(qn(f"w:{name}"), str(round(chars * char_pt * 20)))
            ind.set(qn(f"w:{name}Chars"), str(round(chars * 100)))


def add_page_field(paragraph: Paragraph, east_asia: str, size_pt: float) -> None:
    """A PAGE field (the page number), as Word writes it: begin, instruction, separate, result, end."""
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("result", "1"),
                       ("end", None)):  # fmt: skip
        run = style_run(paragraph.add_run(), east_asia, size_pt)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "result":
            run.text = text or ""
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)


def frame_at(paragraph: Paragraph, width_twips: int, y_twips: int) -> None:
    """The paragraph in a frame `y_twips` below the top of the text block, centred across it (the
    版记's lines at the bottom of the last page). Each 版记 line has its own frame: LibreOffice
    drops a frame whose paragraphs have different borders."""
    ppr = paragraph._p.get_or_add_pPr()
    frame = _child(ppr, "w:framePr")
    for attr, value in (("w:w", str(width_twips)), ("w:wrap", "notBeside"),
                        ("w:vAnchor", "margin"), ("w:hAnchor", "margin"),
                        ("w:xAlign", "center"), ("w:y", str(y_twips))):  # fmt: skip
        frame.set(qn(attr), value)


def table_cell_margins(table: Any, twips: int) -> None:
    """Left and right cell margins (narrow columns keep room for their text)."""
    tblpr = table._tbl.tblPr
    margins = _child(tblpr, "w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(twips))
        element.set(qn("w:type"), "dxa")
        margins.append(element)


def cant_split(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


def repeat_header(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))


def no_autospace(document: Any) -> None:
    """No automatic space between Chinese and Latin text or digits in any paragraph (body, tables,
    footers): the lines keep the grid of 28 characters, as the PDF does."""
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.footer._element, section.even_page_footer._element]
    for part in parts:
        for p in part.iter(qn("w:p")):
            ppr = p.get_or_add_pPr()
            for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
                _child(ppr, tag).set(qn("w:val"), "0")

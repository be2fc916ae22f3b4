"""The monthly bulletin as a workbook (openpyxl): one sheet per part, numbers stored as numbers."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .compose import RANKING_COLUMNS, by_tier, tier_label
from .model import BulletinDoc, RankingRow

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

_PERCENT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*[%％]\s*$")
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*$")


def cell_value(text: str) -> tuple[object, str | None]:
    """A figure as the workbook stores it: "98.5%" → 0.985 shown as a percentage, "1286" → 1286,
    "+12" → 12 shown with its sign; anything else ("-3.5个百分点", "—") stays text."""
    if m := _PERCENT.match(text):
        number = float(m.group(1)) / 100
        decimals = len(m.group(1).partition(".")[2])
        return number, "0" + ("." + "0" * decimals if decimals else "") + "%"
    if m := _NUMBER.match(text):
        raw = m.group(1)
        value: float | int = float(raw) if "." in raw else int(raw)
        if raw.startswith("+"):
            return value, "+0;-0;0" if isinstance(value, int) else "+0.0#;-0.0#;0"
        return value, None
    return text, None


def _put(ws: Worksheet, row: int, col: int, text: str) -> None:
    value, number_format = cell_value(text)
    cell = ws.cell(row=row, column=col, value=value)
    if number_format:
        cell.number_format = number_format


def _header(ws: Worksheet, row: int, labels: tuple[str, ...] | list[str]) -> None:
    for col, label in enumerate(labels, 1):
        cell = ws.cell(row=row, column=col, value=label)
        cell.font = BOLD
        cell.alignment = CENTER


def _widths(ws: Worksheet, widths: list[float]) -> None:
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _ranking_row(ws: Worksheet, row: int, r: RankingRow) -> None:
    ws.cell(row=row, column=1, value=r.rank)
    ws.cell(row=row, column=2, value=r.unit)
    ws.cell(row=row, column=3, value=round(r.score, 2)).number_format = "0.00"
    for col, rate in enumerate(
        (r.sign_rate, r.feedback_rate, r.result_rate, r.contact_rate), start=4
    ):
        _put(ws, row, col, rate)
    ws.cell(row=row, column=8, value=r.overdue)
    ws.cell(row=row, column=9, value=r.urges)
    ws.cell(row=row, column=10, value=r.supervisions)
    _put(ws, row, 11, r.satisfaction)


def render_xlsx(doc: BulletinDoc) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总体情况"
    _header(ws, 1, ["指标", "本月", "较上月"])
    for n, (label, value, change) in enumerate(doc.totals, 2):
        ws.cell(row=n, column=1, value=label)
        _put(ws, n, 2, value)
        _put(ws, n, 3, change)
    _widths(ws, [28, 14, 18])
    ws.freeze_panes = "A2"

    ws = wb.create_sheet("考核排名")
    row = 1
    for tier, rows in by_tier(doc.ranking):
        ws.cell(row=row, column=1, value=f"{doc.period}{tier_label(tier)}考核排名").font = TITLE
        _header(ws, row + 1, [c.label for c in RANKING_COLUMNS])
        row += 2
        for r in rows:
            _ranking_row(ws, row, r)
            row += 1
        row += 1  # a blank row between tiers
    _widths(ws, [6, 22, 8, 11, 13, 11, 15, 12, 10, 10, 11])

    ws = wb.create_sheet("超时未办")
    _header(ws, 1, ["单位", "超时未办件数"])
    for n, unit in enumerate(doc.overdue_units, 2):
        ws.cell(row=n, column=1, value=unit.unit)
        ws.cell(row=n, column=2, value=unit.count)
    _widths(ws, [24, 14])
    ws.freeze_panes = "A2"

    for name, header, texts, width in (
        ("督办情况", "督办通知", doc.supervision_orders, 80),
        ("典型案例", "案例", doc.typical_cases, 100),
    ):
        ws = wb.create_sheet(name)
        _header(ws, 1, ["序号", header])
        for n, text in enumerate(texts, 1):
            ws.cell(row=n + 1, column=1, value=n)
            ws.cell(row=n + 1, column=2, value=text).alignment = WRAP
        _widths(ws, [6, width])
        ws.freeze_panes = "A2"

    wb.properties.title = doc.title
    wb.properties.creator = doc.issuer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

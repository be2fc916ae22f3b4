"""Statistics as an .xlsx workbook: the figures (with the filters in the title) and a sheet with
every figure's definition."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from liandong.stats.definitions import FIGURES


def stats_xlsx(result: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "统计"
    sheet.append(
        [
            f"统计期间：{result['from'][:10]} 至 {result['to'][:10]}（不含），按{result['by_label']}分组"
        ]
    )
    sheet.append(
        [result["by_label"], *(f.label + (f"（{f.unit}）" if f.unit else "") for f in FIGURES)]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in [*result["rows"], result["total"]]:
        sheet.append([row["label"], *(row.get(f.key) for f in FIGURES)])
    sheet.column_dimensions["A"].width = 24
    notes = book.create_sheet("指标说明")
    notes.append(["指标", "定义"])
    for f in FIGURES:
        notes.append([f.label, f.definition])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""Any list on screen as an .xlsx download, with the filters applied written above the table."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from liandong import clock
from liandong.audit.services import record_export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 10_000


def xlsx_response(
    *, name: str, filters: str, headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    sheet.title = name[:31]
    stamp = clock.to_beijing(clock.now()).strftime("%Y-%m-%d %H:%M")
    sheet.append([f"{name}（导出时间 {stamp}；筛选：{filters or '无'}）"])
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    written = 0
    for count, row in enumerate(rows):
        if count >= MAX_ROWS:
            sheet.append([f"仅导出前{MAX_ROWS}行"])
            break
        sheet.append(list(row))
        written += 1
    for column, header in zip("ABCDEFGHIJKLMNOP", headers, strict=False):
        sheet.column_dimensions[column].width = max(12, min(40, len(header) * 3))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    filename = f"{name}_{clock.to_beijing(clock.now()):%Y%m%d%H%M}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    record_export(name=filename, detail=f"筛选：{filters or '无'}", rows=written)
    return response


def local(moment: object) -> str:
    """A stored time as Beijing 'YYYY-MM-DD HH:MM' (empty when None)."""
    from datetime import datetime

    return (
        clock.to_beijing(moment).strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else ""
    )


def download(data: bytes, content_type: str, name: str) -> HttpResponse:
    """A file the browser saves under `name` (UTF-8 file names, as RFC 6266 allows)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    record_export(name=name)
    return response

"""The gazetteer as a file, pure: reading an .xlsx workbook or a CSV file of place names with every
row checked, and writing the export workbook in the same layout (so an export, edited, imports
again). No database: the streets a row may name are passed in.

Columns (header row, in any order; 别名 and 备注 may be left out): 名称, 类别 (街道／社区／道路／
地标), 所属街道 (the street office's name, an alias, its code or its 9-digit administrative code),
别名 (separated by 、 or ;), 备注. Problems are named by row: 第N行：… ."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill

from liandong.common.errors import FieldError, InvalidInput
from liandong.geography.gazetteer import KIND_LABELS, MIN_TERM, ROAD, normalise

SHEET = "地名库"
HELP_SHEET = "说明"
HEADERS = ("名称", "类别", "所属街道", "别名", "备注")
REQUIRED = HEADERS[:3]
WIDTHS = (24, 8, 14, 40, 30)
MAX_ROWS = 20_000
MAX_NAME = 100
MAX_NOTE = 200
ALIAS_SEPARATORS = re.compile(r"[、;；\n]")
#: The kinds as a cell may write them: the Chinese label or the code.
KINDS: dict[str, str] = {
    **{label: code for code, label in KIND_LABELS.items()},
    **{code: code for code in KIND_LABELS},
}
KIND_CHOICES_TEXT = "、".join(KIND_LABELS.values())
REFUSED = "文件有{n}处问题，未导入任何内容"

#: The import's rules, on the admin's import page and in the export's 说明 sheet.
RULES: tuple[str, ...] = (
    "文件为Excel工作簿（.xlsx，读取名为“地名库”的工作表，没有则读第一个工作表）或CSV文件"
    "（UTF-8或GBK编码，逗号分隔）；第一行为表头：名称、类别、所属街道、别名、备注（别名、备注两列可省略）。",
    f"类别填写{KIND_CHOICES_TEXT}之一。所属街道填写街道办事处的名称、别名、系统代码或9位区划代码。",
    "别名可填写多个，用顿号（、）或分号（;）分隔；地址中出现名称或任一别名都视为该地名。",
    "名称不能重复（比较时忽略全角半角、大小写和空格）；只有道路可以分属多个街道：同一道路在每个"
    "经过的街道各写一行。地址中只出现这样的道路时，除非还有社区、地标或另一条道路能确定街道，"
    "否则提示无法确定。",
    "整个文件要么全部导入，要么全部不导入：任何一行有误，都会逐行列出问题，文件中的内容一条也不保存。",
    "导入方式“合并”：文件中出现的名称以文件为准（新增或更新，道路按文件中的各行替换），"
    "文件中没有的地名保持不变。导入方式“替换”：整个地名库以文件为准，文件中没有的地名被删除。",
    "导出的文件与导入格式相同，修改后可直接再导入。",
)


@dataclass(frozen=True)
class StreetRef:
    code: str  #: the unit's code
    name: str
    active: bool = True


@dataclass(frozen=True)
class EntryRow:
    row: int  #: the row (line) in the file, for messages
    name: str
    key: str
    kind: str
    street: str  #: unit code
    aliases: tuple[str, ...]
    note: str


def street_lookup(streets: Sequence[tuple[StreetRef, Sequence[str]]]) -> dict[str, StreetRef]:
    """Normalised name, alias or code → street, from each street with the keys it is known by
    (the first street to claim a key keeps it)."""
    found: dict[str, StreetRef] = {}
    for street, keys in streets:
        for key in keys:
            if key and normalise(key):
                found.setdefault(normalise(key), street)
    return found


def split_aliases(text: str) -> list[str]:
    return [a.strip() for a in ALIAS_SEPARATORS.split(text or "") if a.strip()]


def cell_text(value: object) -> str:
    """A cell as trimmed text; whole numbers without ".0" (a code typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _not_a_table(reason: str = "") -> InvalidInput:
    message = reason or "文件不是有效的Excel工作簿（.xlsx）或CSV文件"
    return InvalidInput.one("file", "invalid_file", message)


def read_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The file's non-empty rows as (row number, cells as text), header first; CSV lines that
    start with # are comments."""
    if not data.strip():
        raise _not_a_table("文件是空的")
    if data[:4] == b"PK\x03\x04":
        return list(_xlsx_rows(data))
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise _not_a_table("不支持旧版Excel（.xls）文件，请另存为.xlsx或CSV后导入")
    return list(_csv_rows(data))


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a file that is not xlsx
        raise _not_a_table("文件不是有效的Excel工作簿（.xlsx）") from exc
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            cells = [cell_text(v) for v in values]
            if any(cells):
                yield number, cells
    finally:
        wb.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise _not_a_table()
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        raise _not_a_table()
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            cells = [v.strip() for v in values]
            if any(cells) and not cells[0].startswith("#"):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise _not_a_table(f"CSV格式错误（第{reader.line_num}行）：{exc}") from exc


def _columns(number: int, header: list[str]) -> dict[str, int]:
    """Header text → column index, or InvalidInput naming what is wrong with the header."""
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, text in enumerate(header):
        title = normalise(text)
        if not title:
            continue
        known = next((h for h in HEADERS if normalise(h) == title), None)
        if known is None:
            problems.append(f"不认识的列“{text}”")
        elif known in columns:
            problems.append(f"“{known}”列出现了两次")
        else:
            columns[known] = index
    problems += [f"缺少“{h}”列" for h in REQUIRED if h not in columns]
    if problems:
        expected = "、".join(HEADERS)
        raise InvalidInput(
            [
                FieldError("file", "wrong_header", f"第{number}行：{p}（表头应为：{expected}）")
                for p in problems
            ],
            "表头不正确，未导入任何内容",
        )
    return columns


def parse_entries(data: bytes, streets: Mapping[str, StreetRef]) -> list[EntryRow]:
    """Every row of the file checked against the streets (normalised key → street, see
    `street_lookup`), or one InvalidInput naming every problem by row."""
    rows = read_table(data)
    if not rows:
        raise _not_a_table("文件中没有任何内容")
    header_number, header = rows[0]
    columns = _columns(header_number, header)
    body = rows[1:]
    if not body:
        raise InvalidInput.one("file", "empty", "文件中只有表头，没有任何数据行")
    if len(body) > MAX_ROWS:
        raise InvalidInput.one("file", "too_many_rows", f"数据行不能超过{MAX_ROWS}行")
    problems: list[FieldError] = []
    entries: list[EntryRow] = []
    seen: dict[str, list[EntryRow]] = {}
    for number, cells in body:

        def cell(header: str, cells: list[str] = cells) -> str:
            index = columns.get(header)
            return cells[index] if index is not None and index < len(cells) else ""

        found: list[str] = []
        entry = _check_row(number, cell, streets, found)
        if entry is not None:
            clash = _clash(entry, seen.get(entry.key, []))
            if clash:
                found.append(clash)
            else:
                seen.setdefault(entry.key, []).append(entry)
                entries.append(entry)
        problems += [FieldError("file", "row", f"第{number}行：{p}") for p in found]
    if problems:
        raise InvalidInput(problems, REFUSED.format(n=len(problems)))
    return entries


def _check_row(
    number: int, cell: Any, streets: Mapping[str, StreetRef], found: list[str]
) -> EntryRow | None:
    name, label, street_text = cell("名称"), cell("类别"), cell("所属街道")
    aliases, note = split_aliases(cell("别名")), cell("备注")
    key = normalise(name)
    if not name:
        found.append("名称不能为空")
    elif len(name) > MAX_NAME:
        found.append(f"名称不能超过{MAX_NAME}个字")
    elif len(key) < MIN_TERM:
        found.append(f"名称“{name}”太短，至少{MIN_TERM}个字")
    kind = KINDS.get(normalise(label))
    if not label:
        found.append(f"类别不能为空，应为{KIND_CHOICES_TEXT}之一")
    elif kind is None:
        found.append(f"类别“{label}”无效，应为{KIND_CHOICES_TEXT}之一")
    street = streets.get(normalise(street_text))
    if not street_text:
        found.append("所属街道不能为空")
    elif street is None:
        found.append(f"没有名称、别名或编码为“{street_text}”的街道")
    elif not street.active:
        found.append(f"{street.name}已停用")
    for alias in aliases:
        if len(alias) > MAX_NAME:
            found.append(f"别名“{alias[:20]}…”不能超过{MAX_NAME}个字")
        elif len(normalise(alias)) < MIN_TERM:
            found.append(f"别名“{alias}”太短，至少{MIN_TERM}个字")
    if len(note) > MAX_NOTE:
        found.append(f"备注不能超过{MAX_NOTE}个字")
    if found or kind is None or street is None:
        return None
    unique = tuple(dict.fromkeys(a for a in aliases if normalise(a) != key))
    return EntryRow(number, name, key, kind, street.code, unique, note)


def _clash(entry: EntryRow, earlier: list[EntryRow]) -> str:
    """Why the row cannot stand beside earlier rows of the same name, or ""."""
    for other in earlier:
        if entry.kind == ROAD and other.kind == ROAD:
            if other.street == entry.street:
                return f"道路“{entry.name}”在同一街道下与第{other.row}行重复"
            continue
        return (
            f"名称“{entry.name}”与第{other.row}行重复（只有道路可以分属多个街道，"
            "每个街道各写一行，类别都填道路）"
        )
    return ""


_HEADER_FILL = PatternFill("solid", fgColor="0B3D91")
_HEADER_FONT = Font(bold=True, color="FFFFFF")


def build_workbook(rows: Sequence[Sequence[str]]) -> bytes:
    """The export: sheet 地名库 (header and rows: 名称, 类别 label, 所属街道 name, 别名 joined
    with 、, 备注) and sheet 说明 with the import's rules."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(HEADERS))
    for index, width in enumerate(WIDTHS, 1):
        cell = ws.cell(row=1, column=index)
        cell.fill, cell.font = _HEADER_FILL, _HEADER_FONT
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[cell.column_letter].width = width
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A2"
    help_sheet = wb.create_sheet(HELP_SHEET)
    help_sheet.append(["导入规则"])
    help_sheet.cell(row=1, column=1).font = Font(bold=True)
    for rule in RULES:
        help_sheet.append([rule])
    help_sheet.column_dimensions["A"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

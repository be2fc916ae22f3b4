"""The roster workbook's layout (sheets, columns, the explanations) and the openpyxl plumbing:
writing a workbook and turning cell values into text and Beijing times. No database.

The template, the export and the import share this one layout, so an export can be edited and
imported again."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from liandong import clock

SHIFT_SHEET = "值班表"
CONTACT_SHEET = "联系人"
HELP_SHEET = "说明"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TEXT_FORMAT = "@"
FORMATTED_BLANK_ROWS = 300


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int
    required: bool
    help: str
    kind: str = "text"  # "text", "datetime" or "phone"


SHIFT_COLUMNS: tuple[Column, ...] = (
    Column(
        "单位代码", "unit", 18, True, "单位在本系统中的代码，如 fire、st-lingxi；只填一级联动单位"
    ),
    Column(
        "单位名称", "unit_name", 24, False, "便于阅读，可不填；填写时须与单位代码对应的单位一致"
    ),
    Column(
        "开始时间",
        "starts_at",
        18,
        True,
        "北京时间，日期时间格式或文字 2026-12-01 08:00（含此刻）",
        "datetime",
    ),
    Column(
        "结束时间",
        "ends_at",
        18,
        True,
        "北京时间，不含此刻；须晚于开始时间，一个班次最长24小时；24:00 可写作次日 00:00",
        "datetime",
    ),
    Column("值班人员", "person_name", 12, True, "值班人员姓名；同一时段可有多人值班，各占一行"),
    Column("联系电话", "phone", 16, True, "5至20位数字，可含 + - 和空格，如 024-12345678", "phone"),
    Column("值班地点", "duty_place", 24, True, "固定的值班场所"),
    Column("值班车辆", "duty_vehicle", 16, False, "固定的值班车辆（车牌号），没有可不填"),
    Column("备注", "note", 24, False, "可不填，最多200字"),
    Column(
        "系统账号",
        "username",
        14,
        False,
        "值班人员在本系统的登录账号，可不填；不填时，若本单位恰有一个账号的联系电话与此相同，自动关联",
    ),
)

CONTACT_KIND_LABELS: dict[str, str] = {
    "专业联系人": "professional",
    "协调员": "coordinator",
    "主管领导": "leader",
}

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("单位代码", "unit", 18, True, "单位在本系统中的代码"),
    Column(
        "类型",
        "kind",
        14,
        True,
        "专业联系人（一级、二级联动单位）、协调员（三级联动单位）或主管领导（各级）",
    ),
    Column("姓名", "person_name", 12, True, "联系人姓名"),
    Column("联系电话", "phone", 16, True, "5至20位数字，可含 + - 和空格", "phone"),
    Column("联系方式", "contact_method", 18, False, "如：值班电话、手机、企业微信，最多50字"),
    Column("备注", "note", 24, False, "可不填，最多200字"),
    Column("系统账号", "username", 14, False, "联系人在本系统的登录账号，可不填（规则同值班表）"),
)

#: The rules of the import, shown on the admin's import page and in the workbook's 说明 sheet.
IMPORT_RULES: tuple[str, ...] = (
    "时间一律为北京时间；开始时间含此刻，结束时间不含此刻。",
    "整个文件要么全部导入，要么全部不导入：任何一行有误，都会列出每一处问题（工作表、行号、列），"
    "文件中的内容一条也不保存。",
    "值班表：对表中出现的每个单位，从该单位最早一班所在日的0点（若填写了替换起点且更早，则从替换起点）"
    "到最晚一班所在日的24点，其间开始的原有班次以文件为准：文件中没有的删除，完全相同的保持不变；"
    "此范围以外的班次不受影响。表中未出现的单位不受影响。",
    "联系人：表中出现的每个单位，其全部联系人（含已停用的）以文件为准，按文件中的顺序排列；"
    "表中未出现的单位不受影响。",
    "只有一级联动单位填写值班表；同一单位同一时段可有多人值班。二级单位填写专业联系人，"
    "三级单位填写协调员，各级单位都可填写主管领导。",
    "某工作表没有任何数据行时，该表不导入也不删除任何内容；第2行的示例行请改写或删除。",
    "导出的文件与模板格式相同，修改后可直接再导入。",
)

_HEADER_FILL = PatternFill("solid", fgColor="0B3D91")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TEXT_AT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]\s*(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?)?$"
)


def _write_sheet(ws: Any, columns: tuple[Column, ...], rows: Sequence[Sequence[object]]) -> None:
    ws.append([c.header for c in columns])
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        header = ws.cell(row=1, column=index)
        header.fill, header.font = _HEADER_FILL, _HEADER_FONT
        header.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append(list(row))
    # Formats reach past the last row, so rows typed in later keep a phone's leading zero.
    last = len(rows) + 1 + FORMATTED_BLANK_ROWS
    for index, column in enumerate(columns, 1):
        if column.kind == "text":
            continue
        fmt = DATETIME_FORMAT if column.kind == "datetime" else TEXT_FORMAT
        for row_number in range(2, last + 1):
            ws.cell(row=row_number, column=index).number_format = fmt
    ws.freeze_panes = "A2"


def _write_help(ws: Any) -> None:
    ws.append(["导入规则"])
    ws.cell(row=1, column=1).font = Font(bold=True)
    for rule in IMPORT_RULES:
        ws.append([rule])
    ws.append([])
    ws.append(["工作表", "列", "是否必填", "说明"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for sheet, columns in ((SHIFT_SHEET, SHIFT_COLUMNS), (CONTACT_SHEET, CONTACT_COLUMNS)):
        for column in columns:
            ws.append([sheet, column.header, "必填" if column.required else "选填", column.help])
    for letter, width in (("A", 12), ("B", 12), ("C", 10), ("D", 90)):
        ws.column_dimensions[letter].width = width


def build_workbook(
    shift_rows: Sequence[Sequence[object]], contact_rows: Sequence[Sequence[object]]
) -> bytes:
    """A workbook with the two data sheets (headers, widths, formats) and the 说明 sheet."""
    wb = Workbook()
    shifts = wb.active
    shifts.title = SHIFT_SHEET
    _write_sheet(shifts, SHIFT_COLUMNS, shift_rows)
    contacts = wb.create_sheet(CONTACT_SHEET)
    _write_sheet(contacts, CONTACT_COLUMNS, contact_rows)
    kinds = DataValidation(
        type="list", formula1='"' + ",".join(CONTACT_KIND_LABELS) + '"', allow_blank=True
    )
    kinds.error, kinds.errorTitle = "请选择：专业联系人、协调员或主管领导", "类型"
    contacts.add_data_validation(kinds)
    kinds.add("B2:B2000")
    _write_help(wb.create_sheet(HELP_SHEET))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def excel_time(moment: datetime) -> datetime:
    """A time as a workbook stores it: Beijing wall-clock time without an offset."""
    return clock.to_beijing(moment).replace(tzinfo=None)


def cell_text(value: object) -> str:
    """A cell as trimmed text; whole numbers without ".0" (a phone typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _round_to_second(moment: datetime) -> datetime:
    # Excel stores times as fractions of a day; 08:00 may come back as 07:59:59.999999.
    rounded = moment.replace(microsecond=0)
    return rounded + timedelta(seconds=1) if moment.microsecond >= 500_000 else rounded


def cell_time(value: object) -> datetime | None:
    """A cell as an aware Beijing time, or None when it is not a date and time. Naive Excel
    datetimes and text (2026-12-01 08:00, 2026/12/01 8:00, 2026年12月1日 08:00, ISO 8601 with an
    offset; a date alone means 00:00; 24:00 means 00:00 of the next day) are Beijing time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date) and not isinstance(value, time):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        parsed = _parse_text_time(value.strip())
        if parsed is None:
            return None
        moment = parsed
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.BEIJING)
    return clock.to_beijing(_round_to_second(moment))


def _parse_text_time(text: str) -> datetime | None:
    match = _TEXT_AT.match(text)
    if match is None:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        base = datetime(year, month, day)
        if hour == 24 and minute == 0 and second == 0:
            return base + timedelta(days=1)
        return base.replace(hour=hour, minute=minute, second=second)
    except ValueError:
        return None

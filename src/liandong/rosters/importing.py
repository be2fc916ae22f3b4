"""Reading and checking a roster workbook (layout in workbook.py) before anything is stored.

`parse_roster` reads both sheets, checks every cell and either returns the rows, with their units
and accounts resolved, or raises one `InvalidInput` naming every problem: the field is the cell
(`值班表!C5`), the message says the sheet, row, column and the reason in Chinese. Reads only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.rosters import rules
from liandong.rosters.workbook import (
    CONTACT_COLUMNS,
    CONTACT_KIND_LABELS,
    CONTACT_SHEET,
    SHIFT_COLUMNS,
    SHIFT_SHEET,
    Column,
    cell_text,
    cell_time,
)
from liandong.units.models import Unit

MAX_ROWS = 5000
EXAMPLE_PREFIX = "示例"
#: The longest text each column takes (the model's max_length).
LIMITS = {
    "person_name": 50,
    "phone": 30,
    "duty_place": 100,
    "duty_vehicle": 50,
    "note": 200,
    "contact_method": 50,
}


@dataclass(frozen=True)
class ShiftRow:
    row: int
    unit: Unit
    starts_at: datetime
    ends_at: datetime
    person_name: str
    phone: str
    duty_place: str
    duty_vehicle: str
    note: str
    user: User | None


@dataclass(frozen=True)
class ContactRow:
    row: int
    unit: Unit
    kind: str
    person_name: str
    phone: str
    contact_method: str
    note: str
    user: User | None


@dataclass(frozen=True)
class ParsedRoster:
    shifts: list[ShiftRow]
    contacts: list[ContactRow]


RawRow = tuple[int, tuple[object, ...]]


class _Sheet:
    """The problems found in one sheet, and cell access by column key."""

    def __init__(self, name: str, columns: Sequence[Column], problems: list[FieldError]) -> None:
        self.name = name
        self.columns = {c.key: (i, c) for i, c in enumerate(columns)}
        self.problems = problems

    def add(self, row: int, key: str, code: str, reason: str) -> None:
        index, column = self.columns[key]
        letter = get_column_letter(index + 1)
        message = f"{self.name} 第{row}行 {letter}列（{column.header}）：{reason}"
        self.problems.append(FieldError(f"{self.name}!{letter}{row}", code, message))

    def raw(self, values: tuple[object, ...], key: str) -> object:
        index = self.columns[key][0]
        return values[index] if index < len(values) else None

    def text(self, row: int, values: tuple[object, ...], key: str) -> str:
        """The cell as text, checked for presence (required columns) and length."""
        value = cell_text(self.raw(values, key))
        column = self.columns[key][1]
        if column.required and not value:
            self.add(row, key, "required", "必填，不能为空")
        elif key in LIMITS and len(value) > LIMITS[key]:
            self.add(row, key, "too_long", f"不能超过{LIMITS[key]}个字")
        return value

    def time(self, row: int, values: tuple[object, ...], key: str) -> datetime | None:
        value = self.raw(values, key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(row, key, "required", "必填，不能为空")
            return None
        moment = cell_time(value)
        if moment is None:
            reason = f"「{cell_text(value)}」不是有效的日期时间，应写作 2026-12-01 08:00"
            self.add(row, key, "invalid_datetime", reason)
        return moment


def _open(data: bytes) -> Any:
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a file that is not xlsx
        raise InvalidInput.one(
            "file", "invalid_file", "文件不是有效的Excel工作簿（.xlsx），请使用下载的模板"
        ) from exc


def _read(wb: Any, sheet: _Sheet) -> list[RawRow] | None:
    """The non-empty data rows of the sheet, or None if its header is wrong (then reported)."""
    ws = wb[sheet.name]
    columns = [c for _, c in sheet.columns.values()]
    rows = ws.iter_rows(min_row=1, max_col=len(columns), values_only=True)
    header = next(rows, ())
    wrong = False
    for index, column in enumerate(columns):
        found = cell_text(header[index]) if index < len(header) else ""
        optional_last = index == len(columns) - 1 and not column.required
        if found != column.header and not (optional_last and found == ""):
            wrong = True
            letter = get_column_letter(index + 1)
            reason = f"表头应为「{column.header}」，实际为「{found}」"
            message = f"{sheet.name} 第1行 {letter}列：{reason}"
            sheet.problems.append(FieldError(f"{sheet.name}!{letter}1", "wrong_header", message))
    if wrong:
        return None
    found_rows: list[RawRow] = []
    for number, values in enumerate(rows, 2):
        if all(cell_text(v) == "" for v in values):
            continue
        if len(found_rows) == MAX_ROWS:
            message = f"{sheet.name}：数据行超过{MAX_ROWS}行，请分多个文件导入"
            sheet.problems.append(FieldError(sheet.name, "too_many_rows", message))
            return None
        found_rows.append((number, tuple(values)))
    return found_rows


class _Lookups:
    """Units and accounts the rows name, fetched once for the whole file."""

    def __init__(self, raw_rows: list[tuple[_Sheet, list[RawRow]]]) -> None:
        self.units = {u.code: u for u in Unit.objects.all()}
        names = {cell_text(s.raw(v, "username")) for s, rows in raw_rows for _, v in rows}
        names.discard("")
        self.accounts = {u.username: u for u in User.objects.filter(username__in=names)}
        codes = {cell_text(s.raw(v, "unit")) for s, rows in raw_rows for _, v in rows}
        members = User.objects.filter(unit__code__in=codes, is_active=True).exclude(phone="")
        self.by_phone: dict[tuple[int, str], list[User]] = {}
        for user in members:
            key = (user.unit_id or 0, rules.phone_digits(user.phone))
            self.by_phone.setdefault(key, []).append(user)

    def unit(self, sheet: _Sheet, row: int, values: tuple[object, ...]) -> Unit | None:
        code = sheet.text(row, values, "unit")
        if not code:
            return None
        unit = self.units.get(code)
        if unit is None:
            sheet.add(row, "unit", "unknown_unit", f"单位代码「{code}」不存在")
        elif not unit.active:
            sheet.add(row, "unit", "inactive_unit", f"{unit.name}已停用")
            return None
        return unit

    def account(
        self, sheet: _Sheet, row: int, values: tuple[object, ...], unit: Unit | None, phone: str
    ) -> User | None:
        """The account named in 系统账号; if that cell is empty, the unit's one active account
        with the same phone number (none when there are several or none)."""
        username = sheet.text(row, values, "username")
        if unit is None:
            return None
        if not username:
            matches = self.by_phone.get((unit.pk, rules.phone_digits(phone)), [])
            return matches[0] if phone and len(matches) == 1 else None
        user = self.accounts.get(username)
        if user is None or not user.is_active:
            sheet.add(row, "username", "unknown_user", f"系统账号「{username}」不存在或已停用")
            return None
        if user.unit_id != unit.pk:
            sheet.add(row, "username", "wrong_unit", f"系统账号「{username}」不属于{unit.name}")
            return None
        return user


def _person(sheet: _Sheet, row: int, values: tuple[object, ...], key: str) -> str:
    name = sheet.text(row, values, key)
    if name.startswith(EXAMPLE_PREFIX):
        sheet.add(row, key, "example_row", "这是模板中的示例行，请改写或删除")
    return name


def _phone(sheet: _Sheet, row: int, values: tuple[object, ...]) -> str:
    phone = sheet.text(row, values, "phone")
    if phone and (problem := rules.phone_problem(phone)):
        sheet.add(row, "phone", "invalid_phone", f"「{phone}」不是有效的电话号码：{problem}")
    return phone


def _shift_row(
    sheet: _Sheet,
    look: _Lookups,
    row: int,
    values: tuple[object, ...],
    seen: dict[tuple[object, ...], int],
) -> ShiftRow | None:
    before = len(sheet.problems)
    unit = look.unit(sheet, row, values)
    if unit is not None and (problem := rules.shift_tier_problem(unit.tier)):
        sheet.add(row, "unit", "not_tier_one", f"{unit.name}：{problem}")
    unit_name = sheet.text(row, values, "unit_name")
    if unit is not None and unit_name and unit_name not in (unit.name, *unit.aliases):
        reason = f"「{unit_name}」与单位代码 {unit.code}（{unit.name}）不符"
        sheet.add(row, "unit_name", "unit_name_mismatch", reason)
    starts_at = sheet.time(row, values, "starts_at")
    ends_at = sheet.time(row, values, "ends_at")
    if starts_at and ends_at and (problem := rules.shift_problem(starts_at, ends_at)):
        sheet.add(row, "ends_at", "invalid_shift", problem)
    person = _person(sheet, row, values, "person_name")
    phone = _phone(sheet, row, values)
    place = sheet.text(row, values, "duty_place")
    vehicle = sheet.text(row, values, "duty_vehicle")
    note = sheet.text(row, values, "note")
    user = look.account(sheet, row, values, unit, phone)
    if len(sheet.problems) > before or unit is None or starts_at is None or ends_at is None:
        return None
    key = (unit.pk, starts_at, ends_at, person)
    if key in seen:
        reason = f"与第{seen[key]}行重复（同一单位、同一时段、同一值班人员）"
        sheet.add(row, "person_name", "duplicate_row", reason)
        return None
    seen[key] = row
    return ShiftRow(row, unit, starts_at, ends_at, person, phone, place, vehicle, note, user)


def _contact_row(
    sheet: _Sheet,
    look: _Lookups,
    row: int,
    values: tuple[object, ...],
    seen: dict[tuple[object, ...], int],
) -> ContactRow | None:
    before = len(sheet.problems)
    unit = look.unit(sheet, row, values)
    label = sheet.text(row, values, "kind")
    kind = CONTACT_KIND_LABELS.get(label)
    if label and kind is None:
        sheet.add(
            row,
            "kind",
            "unknown_kind",
            f"「{label}」不是有效类型，应为专业联系人、协调员或主管领导",
        )
    if unit is not None and unit.tier is None:
        sheet.add(row, "unit", "not_linkage_unit", f"{unit.name}不是联动单位")
    elif unit is not None and kind and (problem := rules.contact_tier_problem(kind, unit.tier)):
        sheet.add(
            row, "kind", "kind_not_for_tier", f"{unit.name}是{unit.get_tier_display()}，{problem}"
        )
    person = _person(sheet, row, values, "person_name")
    phone = _phone(sheet, row, values)
    method = sheet.text(row, values, "contact_method")
    note = sheet.text(row, values, "note")
    user = look.account(sheet, row, values, unit, phone)
    if len(sheet.problems) > before or unit is None or kind is None:
        return None
    key = (unit.pk, kind, person, phone)
    if key in seen:
        reason = f"与第{seen[key]}行重复（同一单位、同一类型、同一姓名和电话）"
        sheet.add(row, "person_name", "duplicate_row", reason)
        return None
    seen[key] = row
    return ContactRow(row, unit, kind, person, phone, method, note, user)


def parse_roster(data: bytes) -> ParsedRoster:
    """Every row of the workbook checked, or an InvalidInput listing every problem."""
    wb = _open(data)
    problems: list[FieldError] = []
    try:
        sheets = [
            _Sheet(name, columns, problems)
            for name, columns in ((SHIFT_SHEET, SHIFT_COLUMNS), (CONTACT_SHEET, CONTACT_COLUMNS))
            if name in wb.sheetnames
        ]
        if not sheets:
            reason = f"工作簿中没有「{SHIFT_SHEET}」或「{CONTACT_SHEET}」工作表，请使用下载的模板"
            raise InvalidInput.one("file", "missing_sheet", reason)
        raw_rows = [(s, rows) for s in sheets if (rows := _read(wb, s)) is not None]
    finally:
        wb.close()
    if not problems and not any(rows for _, rows in raw_rows):
        raise InvalidInput.one("file", "empty", "文件中没有任何数据行（数据从第2行开始）")
    look = _Lookups(raw_rows)
    parsed = ParsedRoster(shifts=[], contacts=[])
    for sheet, rows in raw_rows:
        check: Callable[..., Any] = _shift_row if sheet.name == SHIFT_SHEET else _contact_row
        target: list[Any] = parsed.shifts if sheet.name == SHIFT_SHEET else parsed.contacts
        seen: dict[tuple[object, ...], int] = {}
        for number, values in rows:
            checked = check(sheet, look, number, values, seen)
            if checked is not None:
                target.append(checked)
    if problems:
        raise InvalidInput(problems, f"文件有{len(problems)}处问题，未导入任何内容")
    return parsed

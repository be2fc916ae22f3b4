"""Helpers for the roster tests: workbooks built in the test with openpyxl, shifts and contacts
stored directly (the selectors' tests do not go through the import)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from liandong import clock
from liandong.rosters.models import DutyShift, UnitContact
from liandong.units.models import Unit
from tests.factories import UserFactory

SHIFT_HEADERS = [
    "单位代码",
    "单位名称",
    "开始时间",
    "结束时间",
    "值班人员",
    "联系电话",
    "值班地点",
    "值班车辆",
    "备注",
    "系统账号",
]
CONTACT_HEADERS = ["单位代码", "类型", "姓名", "联系电话", "联系方式", "备注", "系统账号"]


def at(text: str) -> datetime:
    """A Beijing time from '2026-12-01 08:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=clock.BEIJING)


def naive(text: str) -> datetime:
    """What Excel stores for '2026-12-01 08:00': a wall-clock time without an offset."""
    return datetime.fromisoformat(text)


def _cell(value: Any) -> Any:
    """'2026-12-01 08:00' becomes the Excel datetime it looks like; any other text stays text."""
    if isinstance(value, str) and len(value) == 16:
        try:
            return naive(value)
        except ValueError:
            return value
    return value


def shift_row(
    code: str = "fire",
    starts: Any = "2026-12-01 08:00",
    ends: Any = "2026-12-02 08:00",
    person: str = "王强",
    phone: Any = "024-86001119",
    place: str = "消防站值班室",
    vehicle: str = "辽A·F1190",
    note: str = "",
    name: str = "",
    username: str = "",
) -> list[Any]:
    return [code, name, _cell(starts), _cell(ends), person, phone, place, vehicle, note, username]


def contact_row(
    code: str = "housing",
    kind: str = "专业联系人",
    person: str = "刘芳",
    phone: Any = "13840000001",
    method: str = "手机",
    note: str = "",
    username: str = "",
) -> list[Any]:
    return [code, kind, person, phone, method, note, username]


def workbook(
    shifts: list[list[Any]] | None = None,
    contacts: list[list[Any]] | None = None,
    *,
    shift_headers: list[str] | None = None,
    contact_headers: list[str] | None = None,
) -> bytes:
    """An .xlsx with the sheets given (a sheet is left out when its rows are None)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in (
        ("值班表", shift_headers or SHIFT_HEADERS, shifts),
        ("联系人", contact_headers or CONTACT_HEADERS, contacts),
    ):
        if rows is None:
            continue
        ws = wb.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet_rows(data: bytes, title: str) -> list[tuple[Any, ...]]:
    """The non-empty rows of a sheet, header included."""
    wb = load_workbook(BytesIO(data))
    return [r for r in wb[title].iter_rows(values_only=True) if any(v is not None for v in r)]


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def add_shift(code: str, starts: str, ends: str, person: str = "值班员", **kw: Any) -> DutyShift:
    return DutyShift.objects.create(
        unit=unit(code),
        starts_at=at(starts),
        ends_at=at(ends),
        person_name=person,
        phone=kw.pop("phone", "13900000000"),
        duty_place=kw.pop("duty_place", "值班室"),
        **kw,
    )


def add_contact(code: str, kind: str, person: str, **kw: Any) -> UnitContact:
    return UnitContact.objects.create(
        unit=unit(code), kind=kind, person_name=person, phone=kw.pop("phone", "13800000000"), **kw
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client

"""A bad roster workbook is refused whole: every problem named by sheet, row, column and the
reason in Chinese, and nothing of the file stored."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook

from liandong.common.errors import InvalidInput
from liandong.rosters.models import DutyShift, UnitContact
from liandong.rosters.services import do_import_roster_xlsx
from liandong.units.models import Unit
from tests.factories import UserFactory
from tests.rosters.conftest import (
    CONTACT_HEADERS,
    SHIFT_HEADERS,
    add_contact,
    add_shift,
    contact_row,
    shift_row,
    unit,
    workbook,
)

pytestmark = pytest.mark.django_db


# sheet, row, column, code, words of the reason
BAD_FILES: list[tuple[str, Any, str, str, str]] = [
    (
        "unknown unit",
        {"shifts": [shift_row("nowhere")]},
        "值班表!A2",
        "unknown_unit",
        "单位代码「nowhere」不存在",
    ),
    (
        "end before start",
        {"shifts": [shift_row(ends="2026-12-01 07:00")]},
        "值班表!D2",
        "invalid_shift",
        "结束时间应晚于开始时间",
    ),
    (
        "end equals start",
        {"shifts": [shift_row(ends="2026-12-01 08:00")]},
        "值班表!D2",
        "invalid_shift",
        "结束时间应晚于开始时间",
    ),
    (
        "longer than 24 h",
        {"shifts": [shift_row(ends="2026-12-02 08:01")]},
        "值班表!D2",
        "invalid_shift",
        "不能超过24小时",
    ),
    (
        "bad phone",
        {"shifts": [shift_row(phone="值班室")]},
        "值班表!F2",
        "invalid_phone",
        "不是有效的电话号码",
    ),
    (
        "short phone",
        {"shifts": [shift_row(phone="1234")]},
        "值班表!F2",
        "invalid_phone",
        "5至20位数字",
    ),
    ("missing person", {"shifts": [shift_row(person="")]}, "值班表!E2", "required", "必填"),
    ("missing place", {"shifts": [shift_row(place="")]}, "值班表!G2", "required", "必填"),
    ("missing start", {"shifts": [shift_row(starts=None)]}, "值班表!C2", "required", "必填"),
    (
        "start not a date",
        {"shifts": [shift_row(starts="明天早上八点")]},
        "值班表!C2",
        "invalid_datetime",
        "「明天早上八点」不是有效的日期时间",
    ),
    (
        "no such day",
        {"shifts": [shift_row(ends="2026-12-32 08:00")]},
        "值班表!D2",
        "invalid_datetime",
        "不是有效的日期时间",
    ),
    (
        "a number as a date",
        {"shifts": [shift_row(starts=46357)]},
        "值班表!C2",
        "invalid_datetime",
        "不是有效的日期时间",
    ),
    (
        "shift for a tier-2 unit",
        {"shifts": [shift_row("housing")]},
        "值班表!A2",
        "not_tier_one",
        "只有一级联动单位填写值班表",
    ),
    (
        "shift for the office",
        {"shifts": [shift_row("office")]},
        "值班表!A2",
        "not_tier_one",
        "只有一级联动单位",
    ),
    (
        "unit name of another unit",
        {"shifts": [shift_row(name="区交警大队")]},
        "值班表!B2",
        "unit_name_mismatch",
        "与单位代码 fire（区消防救援大队）不符",
    ),
    (
        "note too long",
        {"shifts": [shift_row(note="很" * 201)]},
        "值班表!I2",
        "too_long",
        "不能超过200个字",
    ),
    (
        "example row left in",
        {"shifts": [shift_row(person="示例-张三")]},
        "值班表!E2",
        "example_row",
        "示例行",
    ),
    (
        "unknown account",
        {"shifts": [shift_row(username="nobody")]},
        "值班表!J2",
        "unknown_user",
        "系统账号「nobody」不存在",
    ),
    (
        "duplicate shift",
        {"shifts": [shift_row(), shift_row()]},
        "值班表!E3",
        "duplicate_row",
        "与第2行重复",
    ),
    (
        "wrong shift header",
        {
            "shifts": [shift_row()],
            "shift_headers": [*SHIFT_HEADERS[:2], "开始", *SHIFT_HEADERS[3:]],
        },
        "值班表!C1",
        "wrong_header",
        "表头应为「开始时间」，实际为「开始」",
    ),
    (
        "unknown type",
        {"contacts": [contact_row(kind="联络员")]},
        "联系人!B2",
        "unknown_kind",
        "「联络员」不是有效类型",
    ),
    ("missing type", {"contacts": [contact_row(kind="")]}, "联系人!B2", "required", "必填"),
    (
        "coordinator of a tier-2 unit",
        {"contacts": [contact_row("housing", "协调员")]},
        "联系人!B2",
        "kind_not_for_tier",
        "协调员只用于三级联动单位",
    ),
    (
        "professional of a tier-3 unit",
        {"contacts": [contact_row("agriculture")]},
        "联系人!B2",
        "kind_not_for_tier",
        "专业联系人只用于一级、二级联动单位",
    ),
    (
        "contact of a support unit",
        {"contacts": [contact_row("finance", "主管领导")]},
        "联系人!A2",
        "not_linkage_unit",
        "不是联动单位",
    ),
    (
        "bad contact phone",
        {"contacts": [contact_row(phone="138 0000 000x")]},
        "联系人!D2",
        "invalid_phone",
        "不是有效的电话号码",
    ),
    (
        "wrong contact header",
        {
            "contacts": [contact_row()],
            "contact_headers": ["单位代码", "种类", *CONTACT_HEADERS[2:]],
        },
        "联系人!B1",
        "wrong_header",
        "表头应为「类型」",
    ),
]


@pytest.mark.parametrize(
    ("sheets", "field", "code", "reason"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_a_bad_file_is_refused_naming_the_cell_and_nothing_is_stored(
    admin_user, sheets, field, code, reason
):
    before = add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "原值班员")
    add_contact("housing", "professional", "原联系人")
    good_rows = {
        "shifts": [shift_row("ecology", person="另一行")],
        "contacts": [contact_row("agriculture", "协调员")],
    }
    kwargs = {**good_rows, **sheets}
    with pytest.raises(InvalidInput) as refused:
        do_import_roster_xlsx(actor=admin_user, data=workbook(**kwargs))
    problems = [(f.field, f.code) for f in refused.value.fields]
    assert problems == [(field, code)], refused.value.fields
    sheet, cell = field.split("!")
    row, column = cell[1:], cell[0]
    message = refused.value.fields[0].message
    assert message.startswith(f"{sheet} 第{row}行 {column}列"), message
    assert reason in message
    assert list(DutyShift.objects.values_list("person_name", flat=True)) == ["原值班员"]
    assert list(UnitContact.objects.values_list("person_name", flat=True)) == ["原联系人"]
    assert DutyShift.objects.get() == before


def test_every_problem_of_a_file_is_listed(admin_user):
    data = workbook(
        [
            shift_row(),
            shift_row("nowhere", starts="不是时间", phone="x"),
            shift_row(ends="2026-12-03 08:00"),
        ],
        [contact_row(), contact_row(kind="联络员", person="")],
    )
    with pytest.raises(InvalidInput) as refused:
        do_import_roster_xlsx(actor=admin_user, data=data)
    assert [f.field for f in refused.value.fields] == [
        "值班表!A3",
        "值班表!C3",
        "值班表!F3",
        "值班表!D4",
        "联系人!B3",
        "联系人!C3",
    ]
    assert refused.value.message == "文件有6处问题，未导入任何内容"
    assert not DutyShift.objects.exists() and not UnitContact.objects.exists()


def test_a_stopped_unit_and_an_account_of_another_unit_are_refused(admin_user):
    Unit.objects.filter(code="transport").update(active=False)
    UserFactory(role="duty_officer", unit=unit("ecology"), username="zb-ecology")
    data = workbook([shift_row("transport"), shift_row(username="zb-ecology")])
    with pytest.raises(InvalidInput) as refused:
        do_import_roster_xlsx(actor=admin_user, data=data)
    assert [(f.field, f.code) for f in refused.value.fields] == [
        ("值班表!A2", "inactive_unit"),
        ("值班表!J3", "wrong_unit"),
    ]
    assert "不属于区消防救援大队" in refused.value.fields[1].message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a workbook", "invalid_file"),
        (b"PK\x03\x04broken zip", "invalid_file"),
        (workbook([shift_row()], shift_headers=None)[:100], "invalid_file"),
        (workbook([], []), "empty"),
    ],
    ids=["text", "broken zip", "truncated", "no rows"],
)
def test_a_file_that_is_not_a_roster_workbook_is_refused(admin_user, data, code):
    with pytest.raises(InvalidInput) as refused:
        do_import_roster_xlsx(actor=admin_user, data=data)
    assert [(f.field, f.code) for f in refused.value.fields] == [("file", code)]


def test_a_workbook_without_the_roster_sheets_is_refused(admin_user):
    wb = Workbook()
    wb.active.append(SHIFT_HEADERS)
    wb.active.append(shift_row())
    out = BytesIO()
    wb.save(out)
    with pytest.raises(InvalidInput) as refused:
        do_import_roster_xlsx(actor=admin_user, data=out.getvalue())
    [problem] = refused.value.fields
    assert (problem.field, problem.code) == ("file", "missing_sheet")
    assert "值班表" in problem.message and "联系人" in problem.message

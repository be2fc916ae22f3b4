"""The template and the export share the import's layout: a filled-in template imports, an export
imports back to the same rows."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from liandong.common.errors import InvalidInput
from liandong.rosters.models import DutyShift, UnitContact
from liandong.rosters.services import (
    do_import_roster_xlsx,
    export_roster_xlsx,
    roster_template_xlsx,
)
from tests.factories import UserFactory
from tests.rosters.conftest import (
    CONTACT_HEADERS,
    SHIFT_HEADERS,
    at,
    contact_row,
    naive,
    sheet_rows,
    shift_row,
    unit,
    workbook,
)

pytestmark = pytest.mark.django_db


def test_the_template_has_both_sheets_an_example_each_and_explains_every_column(frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    wb = load_workbook(BytesIO(roster_template_xlsx()))
    assert wb.sheetnames == ["值班表", "联系人", "说明"]
    template = roster_template_xlsx()
    shifts, contacts = sheet_rows(template, "值班表"), sheet_rows(template, "联系人")
    assert list(shifts[0]) == SHIFT_HEADERS and list(contacts[0]) == CONTACT_HEADERS
    assert len(shifts) == 2 and len(contacts) == 2
    code, name, starts, ends = shifts[1][:4]
    assert unit(code).tier == 1 and name == unit(code).name
    assert (starts, ends) == (naive("2026-12-01 08:00"), naive("2026-12-02 08:00"))
    assert unit(contacts[1][0]).tier == 2 and contacts[1][1] == "专业联系人"
    assert wb["值班表"].column_dimensions["C"].width == 18
    assert wb["值班表"]["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert wb["值班表"]["F50"].number_format == "@"  # a phone typed later stays text
    explained = [row for row in wb["说明"].iter_rows(values_only=True) if row and row[0]]
    for sheet, headers in (("值班表", SHIFT_HEADERS), ("联系人", CONTACT_HEADERS)):
        for header in headers:
            assert any(r[:2] == (sheet, header) and r[3] for r in explained), header
    assert any("全部不导入" in str(r[0]) for r in explained)


def test_the_template_as_downloaded_is_refused_for_its_example_rows(admin_user, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    with pytest.raises(InvalidInput) as refused:
        do_import_roster_xlsx(actor=admin_user, data=roster_template_xlsx())
    assert [(f.field, f.code) for f in refused.value.fields] == [
        ("值班表!E2", "example_row"),
        ("联系人!C2", "example_row"),
    ]


def test_a_filled_in_template_imports_cleanly(admin_user, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    wb = load_workbook(BytesIO(roster_template_xlsx()))
    wb["值班表"]["E2"] = "王强"
    wb["值班表"]["I2"] = None
    wb["值班表"].append(shift_row("ecology", "2026-12-01 08:00", "2026-12-01 20:00", "陈静"))
    wb["联系人"]["C2"] = "刘芳"
    wb["联系人"]["F2"] = None
    wb["联系人"].append(contact_row("agriculture", "协调员", "孙红", "13840000003"))
    out = BytesIO()
    wb.save(out)
    summary = do_import_roster_xlsx(actor=admin_user, data=out.getvalue())
    assert (summary.shifts_created, summary.contacts_created) == (2, 2)
    first = DutyShift.objects.exclude(unit__code="ecology").get()
    assert (first.person_name, first.starts_at, first.ends_at) == (
        "王强",
        at("2026-12-01 08:00"),
        at("2026-12-02 08:00"),
    )
    assert first.unit.tier == 1 and first.phone == "024-12345678" and first.note == ""
    assert set(UnitContact.objects.values_list("person_name", flat=True)) == {"刘芳", "孙红"}


def roster_file() -> bytes:
    """Shifts over several days for two units and contacts; needs the account zb-fire."""
    return workbook(
        [
            shift_row("fire", "2026-11-30 08:00", "2026-12-01 08:00", "前一天"),
            shift_row("fire", "2026-12-01 08:00", "2026-12-01 20:00", "甲", note="白班"),
            shift_row("fire", "2026-12-01 20:00", "2026-12-02 08:00", "乙", username="zb-fire"),
            shift_row("fire", "2026-12-01 20:00", "2026-12-02 08:00", "带班", vehicle=""),
            shift_row("ecology", "2026-12-02 00:00", "2026-12-03 00:00", "丙"),
            shift_row("ecology", "2026-12-04 00:00", "2026-12-05 00:00", "后一天"),
        ],
        [
            contact_row("housing", "专业联系人", "刘芳", "13840000001"),
            contact_row("housing", "主管领导", "局长", "13840000002", "", "分管"),
            contact_row("agriculture", "协调员", "孙红", "13840000003", "企业微信"),
        ],
    )


@pytest.fixture(autouse=True)
def fire_officer(db):
    return UserFactory(role="duty_officer", unit=unit("fire"), username="zb-fire")


SHIFT_FIELDS = ("unit__code", "starts_at", "ends_at", "person_name", "phone", "duty_place")
SHIFT_FIELDS += ("duty_vehicle", "note", "user_id")


def test_an_export_imports_back_to_the_same_rows(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=roster_file())
    shifts = list(DutyShift.objects.order_by("id").values_list("id", *SHIFT_FIELDS))
    contacts = list(UnitContact.objects.order_by("id").values_list())
    # Times inside a day widen to whole days: 12-01 00:00 to 12-03 24:00.
    exported = export_roster_xlsx(start=at("2026-12-01 10:00"), end=at("2026-12-03 09:00"))
    rows = sheet_rows(exported, "值班表")
    assert [r[4] for r in rows[1:]] == ["甲", "乙", "带班", "丙"]
    assert rows[1][0] == "fire" and rows[1][1] == "区消防救援大队"
    assert rows[2][9] == "zb-fire"
    assert len(sheet_rows(exported, "联系人")) == 4
    summary = do_import_roster_xlsx(actor=admin_user, data=exported)
    assert (summary.shifts_created, summary.shifts_deleted, summary.shifts_kept) == (0, 0, 4)
    assert (summary.contacts_created, summary.contacts_deleted, summary.contacts_kept) == (0, 0, 3)
    assert list(DutyShift.objects.order_by("id").values_list("id", *SHIFT_FIELDS)) == shifts
    assert list(UnitContact.objects.order_by("id").values_list()) == contacts


def test_an_export_of_some_units_and_an_edited_export(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=roster_file())
    exported = export_roster_xlsx(
        start=at("2026-12-01 00:00"), end=at("2026-12-02 00:00"), units=[unit("fire")]
    )
    rows = sheet_rows(exported, "值班表")
    assert {r[0] for r in rows[1:]} == {"fire"} and len(rows) == 4
    assert sheet_rows(exported, "联系人") == [tuple(CONTACT_HEADERS)]
    wb = load_workbook(BytesIO(exported))
    for row in wb["值班表"].iter_rows(min_row=2):
        if row[4].value == "带班":
            for cell in row:
                cell.value = None
    out = BytesIO()
    wb.save(out)
    summary = do_import_roster_xlsx(actor=admin_user, data=out.getvalue())
    assert (summary.shifts_created, summary.shifts_deleted, summary.shifts_kept) == (0, 1, 2)
    assert not DutyShift.objects.filter(person_name="带班").exists()
    assert DutyShift.objects.filter(person_name="前一天").exists()


def test_an_export_leaves_out_rows_the_import_would_refuse(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=roster_file())
    UnitContact.objects.filter(person_name="孙红").update(active=False)
    unit_fire = unit("fire")
    unit_fire.active = False
    unit_fire.save()
    exported = export_roster_xlsx(start=at("2026-11-30 00:00"), end=at("2026-12-05 00:00"))
    assert [r[4] for r in sheet_rows(exported, "值班表")[1:]] == ["丙", "后一天"]
    assert [r[2] for r in sheet_rows(exported, "联系人")[1:]] == ["刘芳", "局长"]

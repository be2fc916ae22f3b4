"""Importing a roster workbook: a good file is stored as written, with Beijing times and the
accounts it names or whose phone it gives (refusals: test_import_refusals.py)."""

from __future__ import annotations

import pytest

from liandong.rosters.models import DutyShift, UnitContact
from liandong.rosters.services import do_import_roster_xlsx
from tests.factories import UserFactory
from tests.rosters.conftest import (
    SHIFT_HEADERS,
    at,
    contact_row,
    naive,
    shift_row,
    unit,
    workbook,
)

pytestmark = pytest.mark.django_db


def test_a_good_file_is_stored_as_written(admin_user):
    officer = UserFactory(role="duty_officer", unit=unit("fire"), username="zb-fire")
    by_phone = UserFactory(role="duty_officer", unit=unit("ecology"), phone="139-1000-0002")
    UserFactory(role="duty_officer", unit=unit("fire"), phone="13910000003")  # other unit
    data = workbook(
        [
            shift_row(
                "fire", name="区消防救援大队", note="白班", username="zb-fire", phone=13910000001
            ),
            shift_row(
                "ecology",
                "2026-12-01 08:00",
                "2026-12-01 24:00",
                person="陈静",
                phone="13910000002",
                place="生态分局值班室",
                vehicle="",
            ),
            shift_row(
                "ecology",
                "2026/12/02 0:00",
                "2026年12月2日 08:00",
                person="周涛",
                phone="13910000003",
                name="区生态环境分局",
            ),
        ],
        [
            contact_row("housing", "专业联系人", "刘芳", 13840000001, "手机"),
            contact_row("housing", "专业联系人", "马力", "024-22220000", "值班电话"),
            contact_row("agriculture", "协调员", "孙红", "13840000003", "企业微信"),
            contact_row("fire", "主管领导", "吴局", "13840000004", "", "分管业务"),
        ],
    )
    summary = do_import_roster_xlsx(actor=admin_user, data=data)
    assert summary.shift_units == ("ecology", "fire")
    assert (summary.shifts_created, summary.shifts_deleted, summary.shifts_kept) == (3, 0, 0)
    assert summary.contact_units == ("agriculture", "fire", "housing")
    assert (summary.contacts_created, summary.contacts_deleted) == (4, 0)
    assert "新增3班" in summary.message() and "新增4人" in summary.message()

    fire = DutyShift.objects.get(unit__code="fire")
    assert (fire.starts_at, fire.ends_at) == (at("2026-12-01 08:00"), at("2026-12-02 08:00"))
    assert (fire.person_name, fire.phone, fire.duty_place, fire.duty_vehicle, fire.note) == (
        "王强",
        "13910000001",
        "消防站值班室",
        "辽A·F1190",
        "白班",
    )
    assert fire.user == officer
    chen, zhou = DutyShift.objects.filter(unit__code="ecology").order_by("starts_at")
    assert (chen.ends_at, chen.user, chen.duty_vehicle) == (at("2026-12-02 00:00"), by_phone, "")
    assert (zhou.starts_at, zhou.ends_at, zhou.user) == (
        at("2026-12-02 00:00"),
        at("2026-12-02 08:00"),
        None,
    )

    contacts = list(
        UnitContact.objects.order_by("unit__code", "position").values_list(
            "unit__code", "kind", "person_name", "phone", "contact_method", "note", "position"
        )
    )
    assert contacts == [
        ("agriculture", "coordinator", "孙红", "13840000003", "企业微信", "", 1),
        ("fire", "leader", "吴局", "13840000004", "", "分管业务", 1),
        ("housing", "professional", "刘芳", "13840000001", "手机", "", 1),
        ("housing", "professional", "马力", "024-22220000", "值班电话", "", 2),
    ]
    assert all(c.active for c in UnitContact.objects.all())
    record = fire.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        admin_user,
        "导入值班表",
    )


def test_a_file_without_the_account_column_and_with_one_sheet_is_accepted(admin_user):
    data = workbook([shift_row()[:9]], shift_headers=SHIFT_HEADERS[:9])
    summary = do_import_roster_xlsx(actor=admin_user, data=data)
    assert summary.shifts_created == 1 and summary.contact_units == ()
    assert DutyShift.objects.get().user is None


def test_times_with_an_offset_are_converted_to_beijing_time(admin_user):
    data = workbook([shift_row(starts="2026-12-01T00:00:00+00:00", ends="2026-12-01 20:00")])
    do_import_roster_xlsx(actor=admin_user, data=data)
    assert DutyShift.objects.get().starts_at == at("2026-12-01 08:00")


def test_excel_times_that_come_back_a_hair_early_are_rounded_to_the_second(admin_user):
    from datetime import timedelta

    early = naive("2026-12-01 08:00") - timedelta(microseconds=1)
    do_import_roster_xlsx(actor=admin_user, data=workbook([shift_row(starts=early)]))
    assert DutyShift.objects.get().starts_at == at("2026-12-01 08:00")

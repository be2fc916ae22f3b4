"""Importing again: the shifts of the days a unit's rows cover are replaced (identical rows kept),
a unit's contacts are replaced whole; everything else is left alone."""

from __future__ import annotations

import pytest

from liandong import clock
from liandong.rosters.models import DutyShift, UnitContact
from liandong.rosters.services import do_import_roster_xlsx
from tests.factories import UserFactory
from tests.rosters.conftest import add_contact, add_shift, at, contact_row, shift_row, workbook

pytestmark = pytest.mark.django_db


def fire_shifts() -> list[tuple[str, str]]:
    rows = DutyShift.objects.filter(unit__code="fire").order_by("starts_at", "id")
    return [(f"{s.starts_at.astimezone(clock.BEIJING):%m-%d %H}", s.person_name) for s in rows]


def three_days() -> bytes:
    return workbook(
        [
            shift_row(starts="2026-12-01 08:00", ends="2026-12-02 08:00", person="一日"),
            shift_row(starts="2026-12-02 08:00", ends="2026-12-03 08:00", person="二日"),
            shift_row(starts="2026-12-03 08:00", ends="2026-12-04 08:00", person="三日"),
        ]
    )


def test_importing_the_same_file_again_changes_nothing(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=three_days())
    ids = list(DutyShift.objects.values_list("id", flat=True))
    history = DutyShift.history.count()
    summary = do_import_roster_xlsx(actor=admin_user, data=three_days())
    assert (summary.shifts_created, summary.shifts_deleted, summary.shifts_kept) == (0, 0, 3)
    assert list(DutyShift.objects.values_list("id", flat=True)) == ids
    assert DutyShift.history.count() == history


def test_only_the_days_a_unit_has_rows_for_are_replaced(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=three_days())
    add_shift("fire", "2026-12-10 08:00", "2026-12-11 08:00", "下周")
    add_shift("fire", "2026-12-02 20:00", "2026-12-03 08:00", "同日夜班")
    add_shift("ecology", "2026-12-02 08:00", "2026-12-03 08:00", "别的单位")
    data = workbook(
        [
            shift_row(starts="2026-12-02 08:00", ends="2026-12-02 20:00", person="二日白班"),
            shift_row(starts="2026-12-02 08:00", ends="2026-12-03 08:00", person="二日"),
        ]
    )
    summary = do_import_roster_xlsx(actor=admin_user, data=data)
    assert (summary.shifts_created, summary.shifts_deleted, summary.shifts_kept) == (1, 1, 1)
    assert summary.shift_units == ("fire",)
    assert fire_shifts() == [
        ("12-01 08", "一日"),
        ("12-02 08", "二日"),
        ("12-02 08", "二日白班"),
        ("12-03 08", "三日"),
        ("12-10 08", "下周"),
    ]
    assert DutyShift.objects.filter(unit__code="ecology").count() == 1
    gone = DutyShift.history.filter(history_type="-").get()
    assert (gone.person_name, gone.history_user, gone.history_change_reason) == (
        "同日夜班",
        admin_user,
        "导入值班表",
    )


def test_a_changed_row_replaces_the_stored_one(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=three_days())
    data = workbook(
        [
            shift_row(starts="2026-12-01 08:00", ends="2026-12-02 08:00", person="一日"),
            shift_row(
                starts="2026-12-02 08:00",
                ends="2026-12-03 08:00",
                person="二日",
                phone="13900000009",
            ),
            shift_row(starts="2026-12-03 08:00", ends="2026-12-04 08:00", person="三日"),
        ]
    )
    summary = do_import_roster_xlsx(actor=admin_user, data=data)
    assert (summary.shifts_created, summary.shifts_deleted, summary.shifts_kept) == (1, 1, 2)
    assert DutyShift.objects.get(person_name="二日").phone == "13900000009"


def test_replace_from_clears_earlier_days_too(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=three_days())
    add_shift("fire", "2026-11-30 08:00", "2026-12-01 08:00", "前一天")
    data = workbook(
        [shift_row(starts="2026-12-03 08:00", ends="2026-12-04 08:00", person="新三日")]
    )
    summary = do_import_roster_xlsx(
        actor=admin_user, data=data, replace_from=at("2026-12-01 12:00")
    )
    assert (summary.shifts_created, summary.shifts_deleted) == (1, 2)
    # 12-01 08:00 started before the replacement point; 12-02 and 12-03 are replaced.
    assert fire_shifts() == [("11-30 08", "前一天"), ("12-01 08", "一日"), ("12-03 08", "新三日")]


def test_a_replace_from_later_than_the_file_changes_nothing_about_the_window(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=three_days())
    data = workbook([shift_row(starts="2026-12-02 08:00", ends="2026-12-03 08:00", person="新")])
    do_import_roster_xlsx(actor=admin_user, data=data, replace_from=at("2026-12-20 00:00"))
    assert fire_shifts() == [("12-01 08", "一日"), ("12-02 08", "新"), ("12-03 08", "三日")]


def test_a_contacts_file_replaces_the_contacts_of_its_units_only(admin_user):
    add_contact("housing", "professional", "旧甲", position=1)
    add_contact(
        "housing", "professional", "留用", phone="13840000002", contact_method="手机", position=2
    )
    add_contact("housing", "leader", "停用领导", active=False)
    add_contact("market", "professional", "别的单位")
    do_import_roster_xlsx(actor=admin_user, data=three_days())
    data = workbook(
        contacts=[
            contact_row("housing", "主管领导", "新领导", "13840000009"),
            contact_row("housing", "专业联系人", "留用", "13840000002", "手机"),
        ]
    )
    summary = do_import_roster_xlsx(actor=admin_user, data=data)
    assert (summary.contacts_created, summary.contacts_deleted, summary.contacts_kept) == (1, 2, 1)
    assert summary.shift_units == ()
    housing = list(
        UnitContact.objects.filter(unit__code="housing")
        .order_by("position")
        .values_list("person_name", "kind", "position", "active")
    )
    assert housing == [("新领导", "leader", 1, True), ("留用", "professional", 2, True)]
    assert UnitContact.objects.filter(unit__code="market").count() == 1
    assert DutyShift.objects.count() == 3  # a contacts-only file leaves the shifts alone
    moved = UnitContact.history.filter(person_name="新领导").get()
    assert moved.history_user == admin_user


def test_a_kept_contact_takes_its_new_place_in_the_order(admin_user):
    data = workbook(contacts=[contact_row(person="甲"), contact_row(person="乙")])
    do_import_roster_xlsx(actor=admin_user, data=data)
    data = workbook(contacts=[contact_row(person="乙"), contact_row(person="甲")])
    summary = do_import_roster_xlsx(actor=admin_user, data=data)
    assert (summary.contacts_created, summary.contacts_deleted, summary.contacts_kept) == (0, 0, 2)
    order = UnitContact.objects.order_by("position").values_list("person_name", flat=True)
    assert list(order) == ["乙", "甲"]


def test_an_account_linked_by_phone_is_part_of_what_makes_a_row_identical(admin_user):
    do_import_roster_xlsx(actor=admin_user, data=workbook([shift_row(phone="13911112222")]))
    assert DutyShift.objects.get().user is None
    officer = UserFactory(
        role="duty_officer", unit=DutyShift.objects.get().unit, phone="13911112222"
    )
    summary = do_import_roster_xlsx(
        actor=admin_user, data=workbook([shift_row(phone="13911112222")])
    )
    assert (summary.shifts_created, summary.shifts_deleted) == (1, 1)
    assert DutyShift.objects.get().user == officer

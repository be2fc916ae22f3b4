"""Who answers for a unit at a moment, the holes in the coverage, the leaders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liandong import clock
from liandong.rosters.selectors import (
    DutyContact,
    coverage_gaps,
    leaders_of,
    on_duty,
    units_without_duty,
)
from liandong.units.models import Unit
from tests.factories import UserFactory
from tests.rosters.conftest import add_contact, add_shift, at, unit

pytestmark = pytest.mark.django_db


def names(contacts: list[DutyContact]) -> list[str]:
    return [c.name for c in contacts]


def test_tier_one_on_duty_is_the_shift_covering_the_moment_start_inclusive_end_exclusive():
    add_shift("fire", "2026-12-01 08:00", "2026-12-01 20:00", "白班", duty_vehicle="辽A·F1190")
    add_shift("fire", "2026-12-01 20:00", "2026-12-02 08:00", "夜班")
    fire = unit("fire")
    assert names(on_duty(fire, at("2026-12-01 07:59"))) == []
    assert names(on_duty(fire, at("2026-12-01 08:00"))) == ["白班"]
    assert names(on_duty(fire, at("2026-12-01 19:59:59"))) == ["白班"]
    assert names(on_duty(fire, at("2026-12-01 20:00"))) == ["夜班"]
    assert names(on_duty(fire, at("2026-12-02 07:59"))) == ["夜班"]
    assert names(on_duty(fire, at("2026-12-02 08:00"))) == []
    [day] = on_duty(fire, at("2026-12-01 12:00"))
    assert day == DutyContact(
        unit_id=fire.pk,
        name="白班",
        phone="13900000000",
        user_id=None,
        kind="duty",
        kind_label="值班人员",
        place="值班室",
        vehicle="辽A·F1190",
        contact_method="",
        source="shift",
        ends_at=at("2026-12-01 20:00"),
    )
    assert day.ends_at.utcoffset() == timedelta(hours=8)


def test_overlapping_shifts_are_all_on_duty_earliest_start_first_then_entry_order():
    add_shift("fire", "2026-12-01 09:00", "2026-12-01 18:00", "带班领导")
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "值班员乙")
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "值班员甲")
    # A UTC time is the same moment.
    moment = datetime.fromisoformat("2026-12-01T02:00:00+00:00")
    assert names(on_duty(unit("fire"), moment)) == ["值班员乙", "值班员甲", "带班领导"]


def test_tier_one_without_a_shift_falls_back_to_its_professional_contacts():
    add_contact("fire", "professional", "后备二", position=2)
    add_contact("fire", "professional", "后备一", position=1, contact_method="值班电话")
    add_contact("fire", "professional", "停用的", position=0, active=False)
    add_contact("fire", "leader", "领导")
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "值班员")
    fire = unit("fire")
    assert names(on_duty(fire, at("2026-12-01 12:00"))) == ["值班员"]
    fallback = on_duty(fire, at("2026-12-02 09:00"))
    assert names(fallback) == ["后备一", "后备二"]
    assert {c.source for c in fallback} == {"contact"}
    assert fallback[0].kind_label == "专业联系人" and fallback[0].contact_method == "值班电话"
    assert fallback[0].ends_at is None


def test_tier_two_is_reached_through_its_active_professional_contacts():
    housing = unit("housing")
    assert housing.tier == 2
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00")  # another unit's roster
    add_contact("housing", "professional", "张工", position=2)
    add_contact("housing", "professional", "李工", position=1)
    add_contact("housing", "professional", "离职", position=0, active=False)
    add_contact("housing", "leader", "局长")
    assert names(on_duty(housing, at("2026-12-01 03:00"))) == ["李工", "张工"]


def test_tier_three_is_reached_through_its_coordinator():
    agriculture = unit("agriculture")
    assert agriculture.tier == 3
    add_contact("agriculture", "coordinator", "协调员甲")
    add_contact("agriculture", "leader", "局长")
    [coordinator] = on_duty(agriculture, at("2026-12-01 03:00"))
    assert (coordinator.name, coordinator.kind, coordinator.kind_label) == (
        "协调员甲",
        "coordinator",
        "协调员",
    )


def test_units_without_a_tier_have_nobody_on_duty_and_no_gaps():
    office = unit("office")
    assert on_duty(office, at("2026-12-01 03:00")) == []
    assert coverage_gaps(office, at("2026-12-01 00:00"), at("2026-12-02 00:00")) == []


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        on_duty(unit("fire"), datetime(2026, 12, 1, 8))


def test_coverage_gaps_of_a_tier_one_unit():
    add_shift("fire", "2026-11-30 20:00", "2026-12-01 08:00")
    add_shift("fire", "2026-12-01 08:00", "2026-12-01 14:00")
    add_shift("fire", "2026-12-01 10:00", "2026-12-01 12:00")  # inside another shift
    add_shift("fire", "2026-12-01 16:00", "2026-12-01 20:00")
    add_shift("fire", "2026-12-01 22:00", "2026-12-02 08:00")
    add_shift("ecology", "2026-12-01 00:00", "2026-12-02 00:00")  # another unit
    gaps = coverage_gaps(unit("fire"), at("2026-12-01 00:00"), at("2026-12-02 00:00"))
    assert gaps == [
        (at("2026-12-01 14:00"), at("2026-12-01 16:00")),
        (at("2026-12-01 20:00"), at("2026-12-01 22:00")),
    ]
    assert coverage_gaps(unit("fire"), at("2026-12-02 06:00"), at("2026-12-02 10:00")) == [
        (at("2026-12-02 08:00"), at("2026-12-02 10:00"))
    ]
    assert coverage_gaps(unit("fire"), at("2026-12-01 14:00"), at("2026-12-01 14:00")) == []
    whole = coverage_gaps(unit("transport"), at("2026-12-01 00:00"), at("2026-12-02 00:00"))
    assert whole == [(at("2026-12-01 00:00"), at("2026-12-02 00:00"))]


def test_coverage_gaps_of_tier_two_and_three_units_depend_on_an_active_contact():
    day = (at("2026-12-01 00:00"), at("2026-12-02 00:00"))
    add_contact("housing", "professional", "停用", active=False)
    add_contact("housing", "leader", "局长")  # a leader is not the duty contact
    add_contact("agriculture", "coordinator", "协调员")
    assert coverage_gaps(unit("housing"), *day) == [day]
    assert coverage_gaps(unit("agriculture"), *day) == []
    add_contact("housing", "professional", "在岗")
    assert coverage_gaps(unit("housing"), *day) == []


def test_units_without_duty_lists_every_uncovered_linkage_unit_in_tier_then_name_order(
    django_assert_max_num_queries,
):
    now = at("2026-12-01 08:00")
    linkage = list(
        Unit.objects.filter(active=True, tier__isnull=False, kind__in=["department", "street"])
    )
    assert len(linkage) == 39
    # Everyone covered except: fire (a hole 20:00-22:00), housing (no contact), agriculture
    # (only a leader), emergency (a shift ending before the window's end).
    for u in linkage:
        if u.tier == 1 and u.code not in ("fire", "emergency"):
            add_shift(u.code, "2026-12-01 00:00", "2026-12-02 00:00")
            add_shift(u.code, "2026-12-02 00:00", "2026-12-02 12:00")
        elif u.tier == 2 and u.code != "housing":
            add_contact(u.code, "professional", "专业人员")
        elif u.tier == 3 and u.code != "agriculture":
            add_contact(u.code, "coordinator", "协调员")
    add_shift("fire", "2026-12-01 08:00", "2026-12-01 20:00")
    add_shift("fire", "2026-12-01 22:00", "2026-12-02 08:00")
    add_shift("emergency", "2026-12-01 06:00", "2026-12-02 06:00")
    add_contact("agriculture", "leader", "局长")
    Unit.objects.filter(code="transport").update(active=False)  # stopped units are not listed
    with django_assert_max_num_queries(3):
        found = units_without_duty(now)
    assert [(g.unit.code, g.first_uncovered) for g in found] == [
        ("emergency", at("2026-12-02 06:00")),
        ("fire", at("2026-12-01 20:00")),
        ("housing", now),
        ("agriculture", now),
    ]
    assert [g.unit.code for g in found] == [
        g.unit.code for g in sorted(found, key=lambda g: (g.unit.tier, g.unit.name))
    ]
    fire = found[1]
    assert fire.gaps == ((at("2026-12-01 20:00"), at("2026-12-01 22:00")),)
    assert found[2].gaps == ((now, now + timedelta(hours=24)),)
    # A shorter window ends before fire's hole and emergency's end.
    assert [g.unit.code for g in units_without_duty(now, hours=6)] == ["housing", "agriculture"]


def test_units_without_duty_takes_the_same_queries_however_many_shifts(
    django_assert_max_num_queries,
):
    start = at("2026-12-01 00:00")
    for u in Unit.objects.filter(tier=1):
        for hour in range(0, 48, 2):
            begins = clock.to_beijing(start + timedelta(hours=hour))
            add_shift(
                u.code, f"{begins:%Y-%m-%d %H:%M}", f"{begins + timedelta(hours=2):%Y-%m-%d %H:%M}"
            )
    with django_assert_max_num_queries(3):
        found = units_without_duty(start, hours=48)
    assert {g.unit.tier for g in found} == {2, 3}


def test_leaders_are_the_leader_contacts_and_the_unit_leader_accounts():
    ecology = unit("ecology")
    linked = UserFactory(role="unit_leader", unit=ecology, first_name="赵局", phone="13700000001")
    UserFactory(role="unit_leader", unit=ecology, first_name="钱副局", phone="13700000002")
    UserFactory(role="unit_leader", unit=ecology, first_name="已离任", is_active=False)
    UserFactory(role="duty_officer", unit=ecology, first_name="值班员")
    UserFactory(role="unit_leader", unit=unit("fire"), first_name="别的单位")
    add_contact("ecology", "leader", "赵局", phone="13700000001", user=linked, position=1)
    add_contact("ecology", "leader", "孙书记", position=2)
    add_contact("ecology", "professional", "专业人员")
    leaders = leaders_of(ecology)
    assert names(leaders) == ["赵局", "孙书记", "钱副局"]
    assert [c.source for c in leaders] == ["contact", "contact", "account"]
    assert leaders[2].phone == "13700000002" and leaders[2].kind_label == "主管领导"
    assert leaders[0].user_id == linked.pk

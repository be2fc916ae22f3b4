"""Reads of the rosters: who answers for a unit at a given moment, the holes in the duty coverage,
the leaders of a unit, and the rows an export writes.

Every time given must be aware; every time returned is in Beijing time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.rosters import rules
from liandong.rosters.models import ContactKind, DutyShift, UnitContact
from liandong.units.models import Unit, UnitKind

SHIFT_KIND = "duty"
SHIFT_KIND_LABEL = "值班人员"
SOURCE_SHIFT = "shift"
SOURCE_CONTACT = "contact"
SOURCE_ACCOUNT = "account"


@dataclass(frozen=True)
class DutyContact:
    """One person to reach for a unit. `source` says where they come from: "shift" (the tier-1
    roster; `ends_at` is the end of that shift), "contact" (a UnitContact) or "account" (a product
    user with the unit-leader role, from `leaders_of` only)."""

    unit_id: int
    name: str
    phone: str
    user_id: int | None
    kind: str  # "duty" for a shift, else a ContactKind value
    kind_label: str
    place: str
    vehicle: str
    contact_method: str
    source: str
    ends_at: datetime | None


@dataclass(frozen=True)
class UnitGap:
    """An active linkage unit that is not covered for part of the window."""

    unit: Unit
    first_uncovered: datetime
    gaps: tuple[tuple[datetime, datetime], ...]


def _from_shift(shift: DutyShift) -> DutyContact:
    return DutyContact(
        unit_id=shift.unit_id,
        name=shift.person_name,
        phone=shift.phone,
        user_id=shift.user_id,
        kind=SHIFT_KIND,
        kind_label=SHIFT_KIND_LABEL,
        place=shift.duty_place,
        vehicle=shift.duty_vehicle,
        contact_method="",
        source=SOURCE_SHIFT,
        ends_at=clock.to_beijing(shift.ends_at),
    )


def _from_contact(contact: UnitContact) -> DutyContact:
    return DutyContact(
        unit_id=contact.unit_id,
        name=contact.person_name,
        phone=contact.phone,
        user_id=contact.user_id,
        kind=contact.kind,
        kind_label=ContactKind(contact.kind).label,
        place="",
        vehicle="",
        contact_method=contact.contact_method,
        source=SOURCE_CONTACT,
        ends_at=None,
    )


def _active_contacts(unit: Unit, kind: str) -> list[DutyContact]:
    rows = UnitContact.objects.filter(unit=unit, kind=kind, active=True).order_by("position", "id")
    return [_from_contact(c) for c in rows]


def shifts_covering(unit: Unit, at: datetime) -> QuerySet[DutyShift]:
    """The unit's shifts running at `at` (start inclusive, end exclusive), earliest start first,
    then in the order they were entered."""
    return DutyShift.objects.filter(unit=unit, starts_at__lte=at, ends_at__gt=at).order_by(
        "starts_at", "id"
    )


def on_duty(unit: Unit, at: datetime) -> list[DutyContact]:
    """Who answers for `unit` at the moment `at`.

    - tier 1: the people whose shift covers `at` (a shift covers [starts_at, ends_at): the person
      going off duty at 08:00 is no longer listed at 08:00, the one coming on is), earliest start
      first. If no shift covers `at`, the unit's active professional contacts instead (the
      fallback: a hole in the roster must not leave the unit unreachable); `source` tells which.
    - tier 2: the active professional contacts (三定), in their order.
    - tier 3: the active coordinators, in their order.
    - a unit without a tier (office, support units): nobody.

    Leaders are not listed here; see `leaders_of`."""
    clock.to_beijing(at)  # refuses a naive time
    if unit.tier == 1:
        shifts = [_from_shift(s) for s in shifts_covering(unit, at)]
        return shifts or _active_contacts(unit, rules.PROFESSIONAL)
    if unit.tier in rules.DUTY_KIND_OF_TIER:
        return _active_contacts(unit, rules.DUTY_KIND_OF_TIER[unit.tier])
    return []


def _contact_gaps(has_contact: bool, start: datetime, end: datetime) -> list[rules.Interval]:
    if has_contact or end <= start:
        return []
    return [(clock.to_beijing(start), clock.to_beijing(end))]


def coverage_gaps(unit: Unit, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) in which nobody is formally on duty for `unit`, in order.

    Tier 1: the intervals no shift covers (the professional-contact fallback of `on_duty` does
    not count: the 四定 duty asks for a roster around the clock). Tiers 2 and 3: the whole
    interval when the unit has no active professional contact (tier 2) or coordinator (tier 3),
    else none. Units without a tier have no duty and never have gaps."""
    if end <= start:
        return []
    if unit.tier == 1:
        rows = DutyShift.objects.filter(unit=unit, starts_at__lt=end, ends_at__gt=start)
        return rules.uncovered(rows.values_list("starts_at", "ends_at"), start, end)
    if unit.tier in rules.DUTY_KIND_OF_TIER:
        kind = rules.DUTY_KIND_OF_TIER[unit.tier]
        has = UnitContact.objects.filter(unit=unit, kind=kind, active=True).exists()
        return _contact_gaps(has, start, end)
    return []


def active_linkage_units() -> QuerySet[Unit]:
    """Active departments and streets with a tier, by tier then name."""
    return Unit.objects.filter(
        active=True, tier__isnull=False, kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET]
    ).order_by("tier", "name", "id")


def _unit_order(unit: Unit) -> tuple[int, str, int]:
    return (unit.tier or 0, unit.name, unit.pk)


def units_without_duty(now: datetime, hours: int = 24) -> list[UnitGap]:
    """Every active linkage unit with a coverage gap (as `coverage_gaps` defines it) in the window
    [now, now + hours), by tier then name (compared by code point, the same on every database).
    Three queries whatever the number of units: the units, the shifts overlapping the window, the
    units that have an active duty contact."""
    start = clock.to_beijing(now)
    end = start + timedelta(hours=hours)
    units = sorted(active_linkage_units(), key=_unit_order)
    intervals: dict[int, list[rules.Interval]] = defaultdict(list)
    tier_one = [u.pk for u in units if u.tier == 1]
    shifts = DutyShift.objects.filter(unit_id__in=tier_one, starts_at__lt=end, ends_at__gt=start)
    for unit_id, begins, ends in shifts.values_list("unit_id", "starts_at", "ends_at"):
        intervals[unit_id].append((begins, ends))
    contacts = UnitContact.objects.filter(
        active=True,
        unit_id__in=[u.pk for u in units if u.tier != 1],
        kind__in=[rules.PROFESSIONAL, rules.COORDINATOR],
    )
    with_contact = set(contacts.values_list("unit_id", "kind").distinct())
    found = []
    for unit in units:
        if unit.tier == 1:
            gaps = rules.uncovered(intervals[unit.pk], start, end)
        else:
            kind = rules.DUTY_KIND_OF_TIER[unit.tier or 0]
            gaps = _contact_gaps((unit.pk, kind) in with_contact, start, end)
        if gaps:
            found.append(UnitGap(unit=unit, first_uncovered=gaps[0][0], gaps=tuple(gaps)))
    return found


def _from_leader_account(unit: Unit, user: User) -> DutyContact:
    return DutyContact(
        unit_id=unit.pk,
        name=user.display_name,
        phone=user.phone,
        user_id=user.pk,
        kind=rules.LEADER,
        kind_label=ContactKind.LEADER.label,
        place="",
        vehicle="",
        contact_method="",
        source=SOURCE_ACCOUNT,
        ends_at=None,
    )


def leaders_of(unit: Unit) -> list[DutyContact]:
    """The unit's leaders: its active leader contacts in their order, then the active product
    accounts of the unit with the unit-leader role (by account id) that no leader contact already
    names (a contact linked to the account stands for it)."""
    contacts = _active_contacts(unit, rules.LEADER)
    linked = {c.user_id for c in contacts if c.user_id is not None}
    accounts = User.objects.filter(unit=unit, role=Role.UNIT_LEADER, is_active=True).order_by("id")
    return contacts + [_from_leader_account(unit, u) for u in accounts if u.pk not in linked]


def shifts_for_export(
    start: datetime, end: datetime, units: Iterable[Unit] | None = None
) -> list[DutyShift]:
    """Shifts starting in [start, end) of active tier-1 units (the shifts an import accepts), by
    unit (tier, then name by code point, the same on every database) then start."""
    rows = DutyShift.objects.filter(
        starts_at__gte=start, starts_at__lt=end, unit__active=True, unit__tier=1
    )
    if units is not None:
        rows = rows.filter(unit__in=list(units))
    found = rows.select_related("unit", "user").order_by("starts_at", "id")
    return sorted(found, key=lambda s: _unit_order(s.unit))  # stable: keeps start order


def contacts_for_export(units: Iterable[Unit] | None = None) -> list[UnitContact]:
    """Active contacts of active units whose kind fits the unit's tier (the contacts an import
    accepts), by unit (tier, then name by code point) then their order."""
    fits = Q()
    for kind, tiers in rules.TIERS_OF_KIND.items():
        fits |= Q(kind=kind, unit__tier__in=sorted(tiers))
    rows = UnitContact.objects.filter(fits, active=True, unit__active=True)
    if units is not None:
        rows = rows.filter(unit__in=list(units))
    found = rows.select_related("unit", "user").order_by("position", "id")
    return sorted(found, key=lambda c: _unit_order(c.unit))

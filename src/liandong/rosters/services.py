"""Writes of the rosters: the workbook import; and the two workbooks administrators download (the
template and the export), which share the import's layout (workbook.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from liandong import clock
from liandong.accounts.models import User
from liandong.rosters import rules, selectors
from liandong.rosters.importing import ContactRow, ShiftRow, parse_roster
from liandong.rosters.models import ContactKind, DutyShift, UnitContact
from liandong.rosters.workbook import build_workbook, excel_time
from liandong.units.models import Unit

SHIFT_REASON = "导入值班表"
CONTACT_REASON = "导入联系人"


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed. `*_units` are the codes of the units whose shifts (contacts) the
    file replaced; rows identical to a stored one are kept as they were (`*_kept`)."""

    shift_units: tuple[str, ...]
    shifts_created: int
    shifts_deleted: int
    shifts_kept: int
    contact_units: tuple[str, ...]
    contacts_created: int
    contacts_deleted: int
    contacts_kept: int

    def message(self) -> str:
        parts = []
        if self.shift_units:
            parts.append(
                f"值班表：{len(self.shift_units)}个单位，新增{self.shifts_created}班、"
                f"删除{self.shifts_deleted}班、未变{self.shifts_kept}班"
            )
        if self.contact_units:
            parts.append(
                f"联系人：{len(self.contact_units)}个单位，新增{self.contacts_created}人、"
                f"删除{self.contacts_deleted}人、未变{self.contacts_kept}人"
            )
        return "已导入。" + "；".join(parts)


@transaction.atomic
def do_import_roster_xlsx(
    *, actor: User | None, data: bytes, replace_from: datetime | None = None
) -> ImportSummary:
    """Import duty shifts (sheet 值班表) and contacts (sheet 联系人) from an .xlsx workbook laid
    out like `roster_template_xlsx()`. All or nothing: every cell is checked first
    (importing.parse_roster) and any problem raises one InvalidInput naming each of them by
    sheet, row and column; nothing of the file is then stored.

    Re-importing (the rules the admin's import page and the 说明 sheet state):
    - shifts: for each unit with rows in 值班表, the unit's stored shifts that start between 00:00
      (Beijing time) of the day of its earliest row, or `replace_from` if that is earlier, and
      24:00 of the day of its latest row are replaced by the file's rows. A stored shift
      identical to a row (every column, and the linked account) is kept untouched; the others
      are deleted and the file's new rows created. Shifts outside that window and units without
      rows are untouched. Rows are whole days of planning, so an export of whole days (what
      `export_roster_xlsx` writes) imports back to the same rows.
    - contacts: for each unit with rows in 联系人, all its stored contacts (active or not) are
      replaced by the file's rows, in the file's order; identical active contacts are kept (their
      position updated).
    - a sheet with no data rows changes nothing; a file with no data rows at all is refused.

    Only tier-1 units take shift rows (tier-2 and tier-3 units are reached through their
    contacts, so shifts for them would never be read); contact kinds must fit the tier
    (professional: tiers 1-2, coordinator: tier 3, leader: any). Every change is recorded in the
    models' history with `actor`."""
    if replace_from is not None:
        replace_from = clock.to_beijing(replace_from)
    parsed = parse_roster(data)
    unit_ids = sorted({r.unit.pk for r in parsed.shifts} | {r.unit.pk for r in parsed.contacts})
    # Two imports touching the same unit run one after the other (no-op on SQLite).
    list(Unit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk"))
    created, deleted, kept = _replace_shifts(actor, parsed.shifts, replace_from)
    c_created, c_deleted, c_kept = _replace_contacts(actor, parsed.contacts)
    return ImportSummary(
        shift_units=tuple(sorted({r.unit.code for r in parsed.shifts})),
        shifts_created=created,
        shifts_deleted=deleted,
        shifts_kept=kept,
        contact_units=tuple(sorted({r.unit.code for r in parsed.contacts})),
        contacts_created=c_created,
        contacts_deleted=c_deleted,
        contacts_kept=c_kept,
    )


def _shift_key(s: DutyShift | ShiftRow) -> tuple[object, ...]:
    user_id = s.user_id if isinstance(s, DutyShift) else (s.user.pk if s.user else None)
    starts_at, ends_at = clock.to_beijing(s.starts_at), clock.to_beijing(s.ends_at)
    fields = (s.person_name, s.phone, s.duty_place, s.duty_vehicle, s.note)
    return (s.unit.pk, starts_at, ends_at, *fields, user_id)


def _delete_with_history(
    rows: Iterable[DutyShift | UnitContact], actor: User | None, why: str
) -> None:
    for row in rows:
        row._history_user = actor  # type: ignore[union-attr]
        row._change_reason = why  # type: ignore[union-attr]
        row.delete()


def _replace_shifts(
    actor: User | None, rows: list[ShiftRow], replace_from: datetime | None
) -> tuple[int, int, int]:
    if not rows:
        return 0, 0, 0
    by_unit: dict[int, list[ShiftRow]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit.pk].append(row)
    window = Q()
    for unit_id, unit_rows in by_unit.items():
        low = rules.day_start(min(r.starts_at for r in unit_rows))
        if replace_from is not None and replace_from < low:
            low = replace_from
        high = rules.next_day_start(max(r.starts_at for r in unit_rows))
        window |= Q(unit_id=unit_id, starts_at__gte=low, starts_at__lt=high)
    stored: dict[tuple[object, ...], list[DutyShift]] = defaultdict(list)
    for shift in DutyShift.objects.filter(window).select_related("unit").order_by("id"):
        stored[_shift_key(shift)].append(shift)
    new = []
    kept = 0
    for row in rows:
        same = stored.get(_shift_key(row))
        if same:
            same.pop(0)
            kept += 1
            continue
        new.append(
            DutyShift(
                unit=row.unit,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                person_name=row.person_name,
                phone=row.phone,
                user=row.user,
                duty_place=row.duty_place,
                duty_vehicle=row.duty_vehicle,
                note=row.note,
            )
        )
    doomed = [shift for group in stored.values() for shift in group]
    _delete_with_history(doomed, actor, SHIFT_REASON)
    bulk_create_with_history(new, DutyShift, default_user=actor, default_change_reason=SHIFT_REASON)
    return len(new), len(doomed), kept


def _contact_key(c: UnitContact | ContactRow) -> tuple[object, ...]:
    user_id = c.user_id if isinstance(c, UnitContact) else (c.user.pk if c.user else None)
    return (c.unit.pk, c.kind, c.person_name, c.phone, c.contact_method, c.note, user_id)


def _replace_contacts(actor: User | None, rows: list[ContactRow]) -> tuple[int, int, int]:
    if not rows:
        return 0, 0, 0
    unit_ids = {r.unit.pk for r in rows}
    stored: dict[tuple[object, ...], list[UnitContact]] = defaultdict(list)
    doomed: list[UnitContact] = []
    for contact in UnitContact.objects.filter(unit_id__in=unit_ids).select_related("unit"):
        (stored[_contact_key(contact)] if contact.active else doomed).append(contact)
    positions: dict[int, int] = defaultdict(int)
    new, kept = [], 0
    for row in rows:
        positions[row.unit.pk] += 1
        position = positions[row.unit.pk]
        same = stored.get(_contact_key(row))
        if same:
            contact = same.pop(0)
            kept += 1
            if contact.position != position:
                contact.position = position
                contact._history_user = actor  # type: ignore[attr-defined]
                contact._change_reason = f"{CONTACT_REASON}：调整顺序"  # type: ignore[attr-defined]
                contact.save(update_fields=["position"])
            continue
        new.append(
            UnitContact(
                unit=row.unit,
                kind=row.kind,
                person_name=row.person_name,
                phone=row.phone,
                contact_method=row.contact_method,
                note=row.note,
                user=row.user,
                active=True,
                position=position,
            )
        )
    doomed += [contact for group in stored.values() for contact in group]
    _delete_with_history(doomed, actor, CONTACT_REASON)
    bulk_create_with_history(
        new, UnitContact, default_user=actor, default_change_reason=CONTACT_REASON
    )
    return len(new), len(doomed), kept


def roster_template_xlsx() -> bytes:
    """The empty workbook to fill in: both sheets with their headers, one example row each (for
    real units, tomorrow; its person's name starts with 示例 so that importing it unchanged is
    refused), column widths and formats, and the 说明 sheet explaining every column."""
    units = list(selectors.active_linkage_units())
    shift_unit = next((u for u in units if u.tier == 1), None)
    contact_unit = next((u for u in units if u.tier == 2), None)
    starts = rules.next_day_start(clock.now()) + timedelta(hours=8)
    shift = [
        shift_unit.code if shift_unit else "fire",
        shift_unit.name if shift_unit else "",
        excel_time(starts),
        excel_time(starts + timedelta(hours=24)),
        "示例-张三",
        "024-12345678",
        "单位值班室",
        "辽A·12345",
        "示例行：请改写或删除",
        "",
    ]
    contact = [
        contact_unit.code if contact_unit else "housing",
        ContactKind.PROFESSIONAL.label,
        "示例-李四",
        "13800000000",
        "手机",
        "示例行：请改写或删除",
        "",
    ]
    return build_workbook([shift], [contact])


def export_roster_xlsx(
    *, start: datetime, end: datetime, units: Iterable[Unit] | None = None
) -> bytes:
    """The stored roster in the template's layout: the shifts starting from 00:00 of `start`'s day
    to 24:00 of the day of the last moment before `end` (widened to whole Beijing days, the span
    an import replaces, so the file imports back to the same rows), and the active contacts; of
    `units` only when given. Only rows the import accepts are written (shifts of active tier-1
    units, contacts whose kind fits the unit's tier)."""
    low = rules.day_start(start)
    high = rules.day_start(end)
    if high < clock.to_beijing(end) or high <= low:
        high = rules.next_day_start(max(end, start))
    unit_list = list(units) if units is not None else None
    shifts = [
        [
            s.unit.code,
            s.unit.name,
            excel_time(s.starts_at),
            excel_time(s.ends_at),
            s.person_name,
            s.phone,
            s.duty_place,
            s.duty_vehicle,
            s.note,
            s.user.username if s.user else "",
        ]
        for s in selectors.shifts_for_export(low, high, unit_list)
    ]
    contacts = [
        [
            c.unit.code,
            c.get_kind_display(),
            c.person_name,
            c.phone,
            c.contact_method,
            c.note,
            c.user.username if c.user else "",
        ]
        for c in selectors.contacts_for_export(unit_list)
    ]
    return build_workbook(shifts, contacts)

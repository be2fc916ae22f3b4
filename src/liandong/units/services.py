"""Writes of the organisation and the catalogue, and loading of the default data."""

from __future__ import annotations

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput
from liandong.defaults import read as read_default
from liandong.units.models import Category, TierChange, Unit, UnitKind


@transaction.atomic
def do_change_unit_tier(
    *, actor: User | None, unit: Unit, tier: int, reason: str = "", document_number: str = ""
) -> TierChange | None:
    """Move a unit to another tier (by the document `document_number` that decided it).
    Instructions already dispatched keep the tier they were dispatched under; the change applies
    to instructions dispatched from now on."""
    if tier not in (1, 2, 3):
        raise InvalidInput.one("tier", "invalid_choice", "联动级别应为1、2或3")
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    if locked.kind not in (UnitKind.DEPARTMENT, UnitKind.STREET):
        raise InvalidInput.one("tier", "not_linkage_unit", f"{locked.name}不是联动单位，没有级别")
    if locked.tier == tier:
        return None
    change = TierChange.objects.create(
        unit=locked,
        from_tier=locked.tier,
        to_tier=tier,
        effective_at=clock.now(),
        reason=reason[:200],
        document_number=document_number.strip()[:100],
        changed_by=actor,
    )
    locked.tier = tier
    locked._change_reason = f"级别调整：{reason}" if reason else "级别调整"  # type: ignore[attr-defined]
    locked.save()
    unit.tier = tier
    return change


@transaction.atomic
def load_default_organisation() -> None:
    """Create the office, units and catalogue from the shipped defaults. Existing rows (which an
    administrator may have edited) are left as they are."""
    data = read_default("units.yaml")
    Unit.objects.get_or_create(
        code=data["office"]["code"],
        defaults={"name": data["office"]["name"], "kind": UnitKind.OFFICE},
    )
    for row in data["units"]:
        unit, created = Unit.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "kind": UnitKind.STREET if row.get("kind") == "street" else UnitKind.DEPARTMENT,
                "tier": row["tier"],
                "street_code": row.get("street_code", ""),
                "aliases": row.get("aliases", []),
            },
        )
        if created:
            TierChange.objects.create(
                unit=unit,
                from_tier=None,
                to_tier=row["tier"],
                effective_at=clock.now(),
                reason="初始数据（实施方案）",
            )
    for row in data["support_units"]:
        Unit.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "kind": UnitKind.SUPPORT,
                "role_note": row.get("role", ""),
            },
        )
    catalogue = read_default("catalogue.yaml")
    units = {u.code: u for u in Unit.objects.all()}
    for position, row in enumerate(catalogue["categories"]):
        if Category.objects.filter(code=row["code"]).exists():
            continue
        primary = row.get("primary")
        category = Category.objects.create(
            code=row["code"],
            name=row["name"],
            covers=row.get("covers", ""),
            primary_unit=units.get(primary) if primary and primary != "street" else None,
            primary_is_street=primary == "street",
            street_joins=bool(row.get("street_joins")),
            escalates_when=row.get("escalates_when", "") or "",
            position=position,
        )
        category.cooperating_units.set([units[c] for c in row.get("cooperating", [])])
        category.alternatives.set([units[c] for c in row.get("alternatives", [])])

"""Writes and reads of the organisation and the catalogue, and loading of the default data."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

import yaml
from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.units.models import Category, TierChange, Unit, UnitKind


def read_default(name: str) -> Any:
    """One of the YAML files shipped in liandong/defaults."""
    text = resources.files("liandong.defaults").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@transaction.atomic
def do_change_unit_tier(
    *, actor: User | None, unit: Unit, tier: int, reason: str = ""
) -> TierChange | None:
    """Move a unit to another tier. Instructions already dispatched keep the tier they were
    dispatched under; the change applies to instructions dispatched from now on."""
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
        changed_by=actor,
    )
    locked.tier = tier
    locked._change_reason = f"级别调整：{reason}" if reason else "级别调整"  # type: ignore[attr-defined]
    locked.save()
    unit.tier = tier
    return change


def unit_by_code(field: str, code: str | None) -> Unit:
    """The unit with this code, or a 422 naming `field`."""
    unit = Unit.objects.filter(code=code).first() if code else None
    if unit is None:
        raise InvalidInput.one(field, "unknown_unit", f"单位代码「{code}」不存在")
    return unit


def units_by_codes(field: str, codes: Sequence[str]) -> list[Unit]:
    """The units with these codes, in the given order, or a 422 naming each unknown code."""
    found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise InvalidInput(
            [FieldError(field, "unknown_unit", f"单位代码「{c}」不存在") for c in unknown]
        )
    return [found[c] for c in codes]


def street_names(unit: Unit) -> list[str]:
    names = [unit.name, *unit.aliases]
    if unit.name.endswith("街道"):
        names.append(unit.name.removesuffix("街道"))
    return sorted(set(names), key=len, reverse=True)


def match_street(address: str) -> Unit | None:
    """The street office whose name (or alias, or name without 街道) the address mentions."""
    best: tuple[int, Unit] | None = None
    for unit in Unit.objects.filter(kind=UnitKind.STREET, active=True):
        for name in street_names(unit):
            if len(name) >= 2 and name in address and (best is None or len(name) > best[0]):
                best = (len(name), unit)
    return best[1] if best else None


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


def _keywords(category: Category) -> list[str]:
    text = category.covers
    for sep in ("，", ",", "（", "）", "、"):
        text = text.replace(sep, " ")
    return [w for w in text.split() if len(w) >= 2] + [category.name]


def suggest_category(content: str) -> Category | None:
    """The catalogue category whose terms the incident text mentions most (first two characters of
    each term, so 噪声 matches 施工噪声). A starting point for the dispatcher, never a decision."""
    best: tuple[int, int, Category] | None = None
    for category in Category.objects.filter(active=True).order_by("position"):
        score = sum(1 for word in _keywords(category) if word[:2] in content)
        if score and (best is None or score > best[0]):
            best = (score, -category.position, category)
    return best[2] if best else None

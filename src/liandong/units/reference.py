"""The units, the categories and the catalogue's links as this process keeps them
(common/kept.py): every page and form lists units, a dispatch names its category and units by
code, and the triage proposal reads the category's units; an administrator changes
them a few times a year. The lists' instances are shared between requests: read them, never change
them; a lookup by code hands out copies."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from liandong.common.kept import Kept
from liandong.units.models import Category, Unit, UnitKind

#: how long another process may show a unit or catalogue edit made elsewhere
REFERENCE_SECONDS = 30.0


@dataclass(frozen=True)
class CategoryUnits:
    primary_id: int | None
    cooperating_ids: tuple[int, ...]
    alternative_ids: tuple[int, ...]


@dataclass(frozen=True)
class Reference:
    units: tuple[Unit, ...]  # in the units' order (tier, id)
    by_id: dict[int, Unit]
    by_code: dict[str, Unit]
    categories: dict[int, CategoryUnits]
    category_by_code: dict[str, Category]


def _read() -> Reference:
    units = tuple(Unit.objects.order_by("tier", "id"))
    links: dict[int, tuple[list[int], list[int]]] = {}
    for cooperating in Category.cooperating_units.through.objects.order_by("id"):
        links.setdefault(cooperating.category_id, ([], []))[0].append(cooperating.unit_id)
    for alternative in Category.alternatives.through.objects.order_by("id"):
        links.setdefault(alternative.category_id, ([], []))[1].append(alternative.unit_id)
    order = {u.pk: n for n, u in enumerate(units)}
    catalogue = list(Category.objects.order_by("position", "id"))
    categories = {
        c.pk: CategoryUnits(
            primary_id=c.primary_unit_id,
            cooperating_ids=tuple(sorted(links.get(c.pk, ([], []))[0], key=order.__getitem__)),
            alternative_ids=tuple(sorted(links.get(c.pk, ([], []))[1], key=order.__getitem__)),
        )
        for c in catalogue
    }
    return Reference(
        units=units,
        by_id={u.pk: u for u in units},
        by_code={u.code: u for u in units},
        categories=categories,
        category_by_code={c.code: c for c in catalogue},
    )


_reference: Kept[Reference] = Kept(_read, seconds=REFERENCE_SECONDS)
_reference.forget_on_writes(
    Unit,
    Category,
    through=(Category.cooperating_units.through, Category.alternatives.through),
)


def _knowing(known: Callable[[Reference], bool]) -> Reference:
    """The kept reference, read again once when it does not know what the caller looks for: the
    unit or category may have been added in another process since."""
    reference = _reference.get()
    if not known(reference):
        _reference.forget()
        reference = _reference.get()
    return reference


def units_with_codes(codes: Sequence[str]) -> dict[str, Unit]:
    """The units with these codes that exist, each a copy of the kept one (the caller may change
    it: an action does)."""
    by_code = _knowing(lambda r: all(code in r.by_code for code in codes)).by_code
    return {code: copy.copy(by_code[code]) for code in codes if code in by_code}


def category_with_code(code: str) -> Category | None:
    """The category with this code (a copy of the kept one), or None."""
    by_code = _knowing(lambda r: not code or code in r.category_by_code).category_by_code
    found = by_code.get(code)
    return copy.copy(found) if found is not None else None


def active_categories() -> list[Category]:
    """The catalogue's active categories, in its order (position, then key)."""
    return [c for c in _reference.get().category_by_code.values() if c.active]


def streets(*, active_only: bool = False) -> list[Unit]:
    """The street offices, in the units' order."""
    return [
        u
        for u in _reference.get().units
        if u.kind == UnitKind.STREET and (u.active or not active_only)
    ]


def linkage_units() -> list[Unit]:
    """The active departments and streets, the units an incident may be dispatched to."""
    kinds = (UnitKind.DEPARTMENT, UnitKind.STREET)
    return [u for u in _reference.get().units if u.kind in kinds and u.active]


def category_units(category: Category) -> tuple[Unit | None, list[Unit], list[Unit]]:
    """The category's primary unit, its active cooperating units and its alternatives, in the
    units' order."""
    reference = _knowing(lambda r: category.pk in r.categories)
    links = reference.categories.get(category.pk)
    if links is None:
        return None, [], []
    by_id = reference.by_id
    cooperating = [by_id[pk] for pk in links.cooperating_ids if by_id[pk].active]
    alternatives = [by_id[pk] for pk in links.alternative_ids]
    return by_id.get(links.primary_id) if links.primary_id else None, cooperating, alternatives

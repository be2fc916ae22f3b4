"""Reads of the organisation and the catalogue: units by code, street matching, the catalogue's
first guess at a category."""

from __future__ import annotations

from collections.abc import Sequence

from liandong.common.errors import FieldError, InvalidInput
from liandong.units import reference
from liandong.units.models import Category, Unit


def unit_by_code(field: str, code: str | None) -> Unit:
    """The unit with this code, or a 422 naming `field`."""
    unit = reference.units_with_codes([code]).get(code) if code else None
    if unit is None:
        raise InvalidInput.one(field, "unknown_unit", f"单位代码「{code}」不存在")
    return unit


def units_by_codes(field: str, codes: Sequence[str]) -> list[Unit]:
    """The units with these codes, in the given order, or a 422 naming each unknown code."""
    found = reference.units_with_codes(codes)
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
    for unit in reference.streets(active_only=True):
        for name in street_names(unit):
            if len(name) >= 2 and name in address and (best is None or len(name) > best[0]):
                best = (len(name), unit)
    return best[1] if best else None


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

"""The units as the process keeps them (units/reference.py): lists read no rows, a write in this
process shows at once, a unit added elsewhere is found by its code, lookups hand out copies."""

from __future__ import annotations

from typing import Any

import pytest

from liandong.units import reference
from liandong.units.models import Unit, UnitKind
from liandong.units.selectors import unit_by_code


@pytest.mark.django_db
def test_the_lists_are_read_once_and_a_save_here_shows_at_once(
    django_assert_num_queries: Any,
) -> None:
    first = reference.linkage_units()
    with django_assert_num_queries(0):
        assert [u.code for u in reference.linkage_units()] == [u.code for u in first]
        assert reference.streets(active_only=True)
    housing = Unit.objects.get(code="housing")
    housing.active = False
    housing.save()
    assert "housing" not in [u.code for u in reference.linkage_units()]


@pytest.mark.django_db
def test_a_unit_added_by_another_process_is_found_by_its_code() -> None:
    reference.linkage_units()  # kept
    # bulk_create sends no signal: as if another process had added it
    Unit.objects.bulk_create(
        [Unit(code="new-dept", name="区新设局", kind=UnitKind.DEPARTMENT, tier=2)]
    )
    assert unit_by_code("unit", "new-dept").name == "区新设局"


@pytest.mark.django_db
def test_a_lookup_hands_out_a_copy() -> None:
    unit = unit_by_code("unit", "housing")
    tier = unit.tier
    unit.tier = tier % 3 + 1  # what an action may do to the instance it is given
    kept = next(u for u in reference.linkage_units() if u.code == "housing")
    assert kept.tier == tier == Unit.objects.get(code="housing").tier


@pytest.mark.django_db
def test_a_category_is_found_by_its_code_without_a_query_and_a_change_shows_at_once(
    django_assert_num_queries: Any,
) -> None:
    from liandong.units.models import Category

    reference.linkage_units()  # kept
    with django_assert_num_queries(0):
        found = reference.category_with_code("heating-leak")
        assert found is not None and found.active
        assert reference.category_with_code("") is None
    found.active = False  # a copy: the kept one is untouched
    assert reference.category_with_code("heating-leak").active  # type: ignore[union-attr]
    kept = Category.objects.get(code="heating-leak")
    kept.active = False
    kept.save()
    assert not reference.category_with_code("heating-leak").active  # type: ignore[union-attr]
    # one added by another process (bulk_create sends no signal) is looked for again
    Category.objects.bulk_create([Category(code="new-kind", name="新事项")])
    assert reference.category_with_code("new-kind").name == "新事项"  # type: ignore[union-attr]
    assert reference.category_with_code("no-such") is None

"""The leadership overview and its wall mode: district leadership lands there; the counts and
charts (the vendored ECharts, no outside resource) are drawn and refresh themselves."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Site
from tests.factories import dispatched

expect = pytest.importorskip("playwright.sync_api").expect


def test_leadership_lands_on_the_overview_with_its_charts(site: Site) -> None:
    dispatched(level=1)
    external: list[str] = []
    page = site.page("desktop")
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(site.url) else None,
    )
    site.login(page, site.person("leadership"))
    expect(page).to_have_url(f"{site.url}/overview/")
    expect(page.locator('[data-count="open"]')).to_have_text("2")
    expect(page.locator('[data-chart="volume"] canvas')).to_have_count(1)
    expect(page.locator("#streets .street").first).to_be_visible()
    site.shot(page, "overview")
    wall = site.page("desktop", site.person("supervisor"))
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto("/overview/?screen=1")
    expect(wall.locator('[data-chart="trend"] canvas')).to_have_count(1)
    expect(wall.locator('[data-count="open"]')).to_have_text("2")
    wall.screenshot(path="test-artifacts/screenshots/overview-wall-1920.png")
    assert not [u for u in external if not u.startswith(("data:", "blob:"))], external


def test_with_street_boundaries_the_overview_draws_the_district_map(site: Site) -> None:
    from liandong.geography.services import do_import_street_boundaries
    from liandong.units.models import Unit, UnitKind
    from tests.geojson_samples import district

    names = list(
        Unit.objects.filter(kind=UnitKind.STREET, active=True)
        .order_by("pk")
        .values_list("name", flat=True)
    )
    do_import_street_boundaries(actor=None, data=district(names))
    dispatched(level=1)
    for kind in ("desktop", "phone"):
        page = site.page(kind, site.person("leadership"))
        page.goto("/overview/")
        expect(page.locator('[data-chart="map"] canvas')).to_have_count(1)
        expect(page.locator("#streets")).to_have_count(0)
        page.wait_for_timeout(600)  # the map's entrance animation
        site.shot(page, "overview-map")

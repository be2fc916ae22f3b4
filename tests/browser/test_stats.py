"""统计 on screen: a period and a grouping, the figures with their definitions, the Excel export."""

from __future__ import annotations

import io
import re

import pytest

from tests.browser.conftest import Site
from tests.factories import dispatched, instruction_of, unit_user

expect = pytest.importorskip("playwright.sync_api").expect


def test_the_statistics_page_shows_the_figures_and_exports_them(site: Site) -> None:
    from openpyxl import load_workbook

    from liandong import clock
    from liandong.incidents import actions

    incident = dispatched(level=1)
    actions.do_sign_instruction(
        actor=unit_user("housing"), instruction=instruction_of(incident, "housing")
    )
    today = clock.to_beijing(clock.now()).date().isoformat()
    page = site.page("desktop", site.person("leadership"))
    page.goto(f"/console/stats/?from={today}&to={today}&by=unit")
    table = page.locator("table.stats-table")
    expect(table.locator("tr", has_text="区房产局")).to_contain_text("100.0")
    expect(table.locator("th", has_text="签收及时率")).to_have_attribute(
        "title", re.compile("按时签收")
    )
    page.locator("#definitions summary").click()
    expect(page.locator("#definitions")).to_contain_text("回访满意率")
    site.shot(page, "stats")
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    with open(download.value.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    labels = [row[0] for row in book["统计"].iter_rows(min_row=3, values_only=True)]
    assert "区房产局" in labels and "合计" in labels

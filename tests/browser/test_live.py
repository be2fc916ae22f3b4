"""Screens that keep themselves current, seen in Chromium without reloading: a duty officer's
workbench shows a new instruction and an urge within 3 seconds (with the alert and the bell), the
office's deadline board shows a new row and a changed state within 3 seconds, and the bell's list
opens the item and marks it read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site
from tests.factories import dispatched, instruction_of

expect = pytest.importorskip("playwright.sync_api").expect

WITHIN = 3000  # milliseconds


def _noise(address: str) -> Any:
    from liandong.incidents import actions
    from tests.factories import new_incident, office_user, unit

    dispatcher = office_user()
    incident = new_incident(by=dispatcher, address=address, content="夜间施工噪声扰民")
    from liandong.units.models import Category

    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=incident,
        incident_class="source_diversion",
        level=1,
        category=Category.objects.get(code="noise"),
        primary_unit=unit("ecology"),
    )
    return instruction_of(incident, "ecology")


def test_the_workbench_shows_a_new_instruction_and_an_urge_without_reload(site: Site) -> None:
    from liandong.incidents import actions
    from tests.factories import office_user

    officer = site.person("duty_officer", unit="ecology")
    page = site.page("phone", officer)
    page.goto("/unit/")
    expect(page.locator(".work-list")).to_contain_text("暂无指令")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded

    inst = _noise("于洪区北陵街道噪声点一号")
    expect(page.locator(".work-list")).to_contain_text("噪声点一号", timeout=WITHIN)
    expect(page.locator("#alert")).to_contain_text("新指令", timeout=WITHIN)
    expect(page.locator("#bell-count")).to_have_text("1", timeout=WITHIN)

    actions.do_urge_instruction(actor=office_user(), instruction=inst, note="群众再次来电")
    expect(page.locator(".work-list .urged")).to_contain_text("催办1次", timeout=WITHIN)
    expect(page.locator("#alert")).to_contain_text("群众再次来电", timeout=WITHIN)
    assert page.evaluate("window.__marker") == 1
    site.shot(page, "unit-workbench-live")

    # the urged instruction carries a banner, and the urge is in its timeline
    page.locator(".work-list li a", has_text="噪声点一号").first.tap()
    expect(page.locator("#urge-banner")).to_contain_text("已被催办 1 次")
    expect(page.locator("#timeline")).to_contain_text("区联动办催办")

    # the bell's list opens the item and marks it read
    page.goto("/notifications/")
    expect(page.locator(".inbox li.unread")).to_have_count(2)
    page.locator(".inbox li a", has_text="催办").first.tap()
    expect(page).to_have_url(f"{site.url}/unit/instructions/{inst.pk}/")
    page.goto("/notifications/")
    expect(page.locator(".inbox li.unread")).to_have_count(1)
    page.locator("#read-all").tap()
    expect(page.locator(".inbox li.unread")).to_have_count(0)
    expect(page.locator("#bell-count")).to_be_hidden()


def test_the_board_shows_a_new_row_and_a_changed_state_without_reload(site: Site) -> None:
    from liandong.incidents import actions
    from tests.factories import unit_user

    dispatcher = site.person("dispatcher")
    page = site.page("desktop", dispatcher)
    page.goto("/console/")
    page.evaluate("window.__marker = 1")
    incident = dispatched(level=1)
    primary = instruction_of(incident, "housing")
    row = page.locator("#board tr", has_text="区房产局")
    expect(row).to_contain_text("待签收", timeout=WITHIN)
    actions.do_sign_instruction(actor=unit_user("housing"), instruction=primary)
    expect(row).to_contain_text("已签收", timeout=WITHIN)
    assert page.evaluate("window.__marker") == 1
    site.shot(page, "console-live")

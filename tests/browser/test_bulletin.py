"""The monthly bulletin on screen: the office picks a typical case from the month's candidates,
saves, and downloads the bulletin as Excel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from liandong import clock
from liandong.assessment.actions import do_draft_bulletin
from liandong.supervision.actions import do_issue_supervision_order
from tests.browser.conftest import Site
from tests.factories import dispatched, instruction_of, office_user

expect = pytest.importorskip("playwright.sync_api").expect


def test_the_office_inserts_a_candidate_case_and_saves(site: Site) -> None:
    incident = dispatched(level=1)
    do_issue_supervision_order(
        actor=office_user("supervisor"),
        unit=instruction_of(incident, "housing").unit,
        instructions=[instruction_of(incident, "housing")],
        problems="逾期未签收",
        measures="立即处置",
        answer_due_at=clock.now() + timedelta(days=2),
        contact="督办科",
    )
    today = clock.to_beijing(clock.now()).date()
    bulletin = do_draft_bulletin(month=date(today.year, today.month, 1), actor=None)
    page = site.page("desktop", site.person("dispatcher"))
    page.goto(f"/console/bulletins/{bulletin.pk}/")
    candidate = page.locator(".case-candidates li").first
    expect(candidate).to_contain_text(incident.incident_id)
    candidate.locator("button[data-append-case]").click()
    expect(page.locator("#typical_cases")).to_have_value(
        candidate.locator(".case-text").inner_text()
    )
    site.shot(page, "bulletin-edit")
    page.locator("#save-bulletin").click()
    expect(page.locator("#typical_cases")).to_contain_text(incident.incident_id)
    with page.expect_download() as download:
        page.locator("#bulletin-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

"""督办 on screen: the supervisor issues an order from an instruction, the unit's leader answers on
a phone with the signed scan, the supervisor accepts it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import Site, local_input
from tests.factories import dispatched, instruction_of

expect = pytest.importorskip("playwright.sync_api").expect


def test_an_order_goes_from_the_supervisor_to_the_leader_and_back(site: Site) -> None:
    from liandong import clock
    from liandong.supervision.models import SupervisionOrder

    incident = dispatched(level=1)
    inst = instruction_of(incident, "housing")
    supervisor = site.person("supervisor")
    desk = site.page("desktop", supervisor)
    desk.goto(f"/console/incidents/{incident.incident_id}/")
    desk.locator(f"#instruction-{inst.pk} a", has_text="下发督办").click()
    form = desk.locator("form:has(#issue-button)")
    expect(form.locator(f"input[name=instructions][value='{inst.pk}']")).to_be_checked()
    form.locator("#problems").fill("签收超时，报警人多次来电。")
    form.locator("#measures").fill("立即处置，书面说明原因和整改措施。")
    form.locator("#answer_due_at").fill(local_input(clock.now() + timedelta(days=2)))
    desk.locator("#issue-button").click()
    expect(desk.locator("ul.messages")).to_contain_text("已下发督办")
    order = SupervisionOrder.objects.get()
    expect(desk.locator("h1")).to_contain_text("督办通知")
    expect(desk.locator("main")).to_contain_text(order.number)
    site.shot(desk, "supervision-order")

    leader = site.person("unit_leader", unit="housing")
    phone = site.page("phone", leader)
    phone.goto("/unit/supervision/")
    phone.locator(".work-list a", has_text=order.number).tap()
    phone.locator("#text").fill("已处置完毕，已调整值班安排。")
    phone.locator("#document").set_input_files(
        {"name": "回复.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    phone.locator("#answer-button").tap()
    expect(phone.locator("ul.messages")).to_contain_text("已书面回复")
    expect(phone.locator("#answer-button")).to_have_count(0)
    site.shot(phone, "supervision-answer")

    desk.reload()
    desk.locator("#accept-button").click()
    expect(desk.locator("ul.messages")).to_contain_text("督办办结")
    order.refresh_from_db()
    assert order.state == "closed" and order.answer_document is not None

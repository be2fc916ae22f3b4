"""The dispatcher's desk and the duty officer's phone, in Chromium: urgent incidents first, the
path from a new urgent incident to dispatched-and-next in two actions, the cooperating-unit picker,
the escalation hint that follows the category, keyboard shortcuts, the call-back choices, the
sticky sign button and no sideways scrolling on a phone."""

from __future__ import annotations

import pytest

from liandong.incidents.models import Incident
from tests.browser.conftest import Site
from tests.factories import dispatched, instruction_of, new_incident

expect = pytest.importorskip("playwright.sync_api").expect


def test_an_urgent_incident_is_first_and_dispatched_and_next_in_two_actions(site: Site) -> None:
    dispatcher = site.person("dispatcher")
    toilet = new_incident(by=dispatcher, content="公园厕所无人打扫，气味很大。")
    flood = new_incident(
        by=dispatcher,
        address="于洪区陵西街道怒江北街188号",
        content="楼内供热管道破裂，热水外流，有老人被困屋内。",
        police_dispatched=True,
    )
    for kind in ("desktop", "wide", "phone"):
        page = site.page("phone" if kind == "phone" else "desktop", dispatcher)
        if kind == "wide":
            page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto("/console/")
        first = page.locator("#intake li[data-incident]").first
        expect(first).to_have_attribute("data-incident", flood.incident_id)
        expect(first).to_contain_text("【紧急】")
        expect(first.locator(".cue")).to_contain_text(["已先期处警", "被困"])
        page.screenshot(path=f"test-artifacts/screenshots/desk-queue-{kind}.png", full_page=True)
    page = site.page("desktop", dispatcher)
    page.goto("/console/")
    page.locator("#intake li[data-incident] a").first.click()  # action 1: open it
    expect(page.locator("#dispatch-form")).to_be_visible()
    expect(page.locator("#escalates-when")).to_contain_text("高温热水外泄")
    expect(page.locator("input[name=level][value='1']")).to_be_checked()  # urgent: 一级
    site.shot(page, "desk-incident")
    with page.expect_response(lambda r: r.url.endswith("/claim")):  # the next one is claimed
        page.locator("#dispatch-next-button").click()  # action 2: dispatch and go on
    page.wait_for_url(f"**/console/incidents/{toilet.incident_id}/")
    assert Incident.objects.get(pk=flood.pk).status == "dispatched"
    assert Incident.objects.get(pk=flood.pk).level == 1
    assert Incident.objects.get(pk=flood.pk).claimed_by_id == dispatcher.pk


def test_the_picker_shows_chips_leaves_out_the_primary_and_the_hint_follows(site: Site) -> None:
    dispatcher = site.person("dispatcher")
    incident = new_incident(by=dispatcher, content="小区供热管道漏水", police_dispatched=True)
    page = site.page("desktop", dispatcher)
    page.goto(f"/console/incidents/{incident.incident_id}/")
    picker = page.locator(".picker")
    expect(picker).to_be_visible()
    expect(page.locator("#cooperating_units")).to_be_hidden()
    chips = picker.locator(".chip")
    expect(chips.first).to_be_visible()
    primary = page.locator("#primary_unit").input_value()
    primary_name = page.locator(f"#primary_unit option[value='{primary}']").inner_text()
    assert primary_name.split("（")[0] not in picker.locator(".picker-list").inner_text()
    before = chips.count()
    picker.locator(".picker-search").fill("生态")
    picker.locator(".picker-list li").first.click()
    expect(chips).to_have_count(before + 1)
    expect(picker.locator(".picker-summary")).to_contain_text(f"已选 {before + 1} 个")
    chips.first.click()  # a chip removes itself
    expect(chips).to_have_count(before)
    site.shot(page, "desk-picker")
    page.locator("#category").select_option("other")  # a category without escalation signs
    expect(page.locator("#escalates-when")).to_be_hidden()
    page.locator("#category").select_option("noise")
    expect(page.locator("#escalates-when")).to_contain_text("现场发生争执可能升级")
    page.locator("input[name=incident_class][value=source_diversion]").check()
    expect(picker.locator(".picker-summary")).to_contain_text("源头分流类不派协同单位")


def test_keyboard_shortcuts_move_open_and_explain(site: Site) -> None:
    dispatcher = site.person("dispatcher")
    one = new_incident(by=dispatcher, content="有人被困电梯")
    new_incident(by=dispatcher)
    page = site.page("desktop", dispatcher)
    page.goto("/console/")
    expect(page.locator("#intake li[data-incident]")).to_have_count(2)
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_visible()
    expect(page.locator("#shortcut-help")).to_contain_text("派发并处理下一条")
    site.shot(page, "desk-shortcuts")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcut-help")).to_be_hidden()
    page.keyboard.press("j")
    expect(page.locator("#intake li.selected")).to_have_attribute("data-incident", one.incident_id)
    with page.expect_response(lambda r: r.url.endswith("/claim")):  # opening it claims it
        page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/incidents/{one.incident_id}/")


def test_a_long_incident_keeps_the_sign_button_in_reach_on_a_phone(site: Site) -> None:
    incident = dispatched(level=1, cooperating=())
    Incident.objects.filter(pk=incident.pk).update(
        address="于洪区" + "某某路" * 40 + "1234567890123456789012345678901234567890号",
        content="报警人称" + "楼道供热管线漏水，热水外流。" * 60,
    )
    officer = site.person("duty_officer", unit="housing")
    page = site.page("phone", officer)
    page.goto(f"/unit/instructions/{instruction_of(incident, 'housing').pk}/")
    button = page.locator("#sign-button")
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    site.shot(page, "unit-sign-sticky")


def test_the_call_back_offers_reopening_only_when_unsatisfied(site: Site) -> None:
    from liandong.incidents import actions
    from tests.factories import unit_user

    dispatcher = site.person("dispatcher")
    incident = dispatched(cooperating=(), by=dispatcher)
    housing = unit_user("housing")
    actions.do_sign_instruction(actor=housing, instruction=instruction_of(incident, "housing"))
    actions.do_record_caller_contact(
        actor=housing, instruction=instruction_of(incident, "housing"), reached=True
    )
    actions.do_report_result(
        actor=housing,
        instruction=instruction_of(incident, "housing"),
        outcome="resolved",
        text="好",
    )
    actions.do_accept_result(actor=dispatcher, instruction=instruction_of(incident, "housing"))
    actions.do_close_incident(actor=dispatcher, incident=incident, outcome="已处置")
    page = site.page("desktop", dispatcher)
    page.goto(f"/console/incidents/{incident.incident_id}/")
    form = page.locator("#callback-form")
    expect(form.locator("input[name=satisfaction]:checked")).to_have_count(0)
    expect(page.locator("#reopen-choice")).to_be_hidden()
    form.locator("input[value=unsatisfied]").check()
    expect(page.locator("#reopen-choice")).to_be_visible()
    form.locator("input[value=not_reached]").check()
    expect(page.locator("#reopen-choice")).to_be_hidden()
    site.shot(page, "desk-callback")


def test_the_leader_sees_what_is_asked_before_approving(site: Site) -> None:
    from datetime import timedelta
    from io import BytesIO

    from PIL import Image, ImageDraw

    from liandong.incidents import actions

    image = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(image).ellipse([150, 100, 250, 200], outline="red", width=6)  # a seal
    buffer = BytesIO()
    image.save(buffer, format="PNG")

    incident = dispatched(cooperating=())
    officer = site.person("duty_officer", unit="housing")
    leader = site.person("unit_leader", unit="housing")
    actions.do_sign_instruction(actor=officer, instruction=instruction_of(incident, "housing"))
    scan = actions.do_upload_attachment(
        actor=officer,
        instruction=instruction_of(incident, "housing"),
        name="盖章申请.png",
        content_type="image/png",
        data=buffer.getvalue(),
    )
    result = instruction_of(incident, "housing").deadlines.get(kind="result")
    actions.do_request_extension(
        actor=officer,
        instruction=instruction_of(incident, "housing"),
        progress="已关阀止水，等待更换主管道",
        reason="配件需厂家调货",
        # after the result deadline whatever the weekday (now + 5 days was not, on a Wednesday
        # after midnight: 3 working days reach the next Monday's end)
        proposed_due_at=result.due_at + timedelta(days=2),
        document_id=scan.pk,
    )
    for kind in ("desktop", "phone"):
        page = site.page(kind, leader)
        page.goto("/unit/approvals/")
        card = page.locator(".approval").first
        expect(card).to_contain_text("现处置时限")
        expect(card).to_contain_text("申请延至")
        expect(card).to_contain_text("配件需厂家调货")
        expect(card).to_contain_text(officer.first_name)
        expect(card.locator("img.scan-preview")).to_be_visible()
        site.shot(page, "unit-approvals")

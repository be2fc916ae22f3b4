"""End-to-end journeys through the screens, as the people do them: the dispatcher at a desk, the
units' duty officers and leaders on their phones. After each step the test checks what the page
says (in Chinese) and what the database holds.

Here: triage, dispatch to three units, results accepted, closed; the catalogue's proposal.
"""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.browser.conftest import Site, png_bytes
from tests.browser.journeys import (
    ADDRESS,
    LEAK,
    expect,
    messages,
    open_from_workbench,
    report_result,
    sign,
)
from tests.factories import instruction_of, new_incident

# --- 1. triage, dispatch, three units, accept, close -------------------------------------------


def test_a_linked_disposal_incident_goes_from_triage_to_closed(site: Site) -> None:
    from liandong.incidents import files
    from liandong.incidents.models import Attachment, Incident

    dispatcher = site.person("dispatcher", first_name="王调度")
    # Police went first (先期处警) and the units join them: the form then proposes 联动处置类.
    incident = new_incident(by=dispatcher, address=ADDRESS, content=LEAK, police_dispatched=True)

    desk = site.page("desktop", dispatcher)
    desk.goto("/console/")
    item = desk.locator(f"#intake li[data-incident='{incident.incident_id}'] a")
    expect(item).to_contain_text(ADDRESS)

    clicks = 0
    item.click()  # open the incident
    clicks += 1
    expect(desk).to_have_url(re.compile(rf"/console/incidents/{incident.incident_id}/$"))
    expect(desk.locator("#triage h2")).to_have_text("研判派发")

    category = desk.locator("select#category")
    if category.input_value() != "heating-leak":
        with desk.expect_response(re.compile(r"/api/v1/incidents/.+/proposal")):
            category.select_option("heating-leak")
        clicks += 1
    expect(category.locator("option:checked")).to_have_text("供热管线漏水")
    # The catalogue's proposal: 区房产局 leads, 区城市建设局 and the street work with it.
    expect(desk.locator("#primary_unit option:checked")).to_have_text(re.compile(r"^区房产局"))
    coop = desk.locator("#cooperating_units option:checked")
    chosen = coop.all_inner_texts()
    assert "区城市建设局" in chosen and "陵西街道" in chosen, chosen
    expect(desk.locator("#street option:checked")).to_have_text("陵西街道")

    linked = desk.get_by_role("radio", name="联动处置类")
    if not linked.is_checked():
        linked.check()
        clicks += 1
    urgent = desk.get_by_role("radio", name="一级（紧急）")
    if not urgent.is_checked():
        urgent.check()
        clicks += 1
    desk.locator("#dispatch-button").click()
    clicks += 1

    expect(messages(desk)).to_contain_text("已派发")
    heading = desk.locator("h1")
    expect(heading).to_contain_text("处置中")
    expect(heading).to_contain_text("一级（紧急）")
    expect(heading).to_contain_text("联动处置类")
    expect(desk.locator("#triage")).to_have_count(0)
    for name, role in (
        ("区房产局", "主责单位"),
        ("区城市建设局", "协同单位"),
        ("陵西街道", "协同单位"),
    ):
        title = desk.locator("section[id^=instruction-] h2", has_text=name)
        expect(title).to_contain_text(role)
        expect(title).to_contain_text("待签收")
    assert clicks <= 3, f"the common triage case took {clicks} clicks"

    incident.refresh_from_db()
    assert incident.status == "dispatched"
    assert (incident.incident_class, incident.level) == ("linked_disposal", 1)
    assert incident.category.code == "heating-leak" and incident.street.code == "st-lingxi"
    roles = {i.unit.code: i.role for i in incident.instructions.all()}
    assert roles == {
        "housing": "primary",
        "urban-constr": "cooperating",
        "st-lingxi": "cooperating",
    }

    # Each unit's duty officer, on a phone, signs and reports.
    units = {code: site.person("duty_officer", code) for code in roles}
    phones = {code: site.page("phone", user) for code, user in units.items()}
    for code, phone in phones.items():
        inst = instruction_of(incident, code)
        open_from_workbench(phone, inst, ADDRESS)
        expect(phone.locator("main")).to_contain_text("待签收")
        sign(phone)
        inst.refresh_from_db()
        assert inst.state == "signed" and inst.signed_by_id == units[code].pk

    housing_page = phones["housing"]
    housing = instruction_of(incident, "housing")
    contact = housing_page.locator("form:has(#contact-button)")
    contact.get_by_role("radio", name="已联系上").check()
    contact.locator("textarea[name=note]").fill("报警人在家，已约定上门时间")
    housing_page.locator("#contact-button").tap()
    expect(messages(housing_page)).to_contain_text("已记录联系报警人情况")
    expect(housing_page.locator("main")).to_contain_text("已联系上 报警人在家，已约定上门时间")
    assert housing.caller_contacts.get().reached is True

    expect(housing_page.locator("h2", has_text="现场反馈")).to_be_visible()
    housing_page.locator("form:has(#feedback-button) textarea[name=text]").fill(
        "已到场，关闭楼道供热阀门，漏水止住"
    )
    housing_page.locator("#feedback-button").tap()
    expect(messages(housing_page)).to_contain_text("已反馈")
    expect(housing_page.locator("main")).to_contain_text("已反馈：已到场，关闭楼道供热阀门")
    housing.refresh_from_db()
    assert (housing.state, housing.feedback_kind) == ("in_progress", "on_scene")

    report_result(housing_page, "更换破损管段，恢复供热，楼道已清理", photo="现场.png")
    housing.refresh_from_db()
    assert housing.state == "result_reported" and housing.result_outcome == "resolved"
    photo = Attachment.objects.get(instruction=housing, purpose="result")
    assert (photo.content_type, photo.original_name) == ("image/png", "现场.png")
    # Stored re-encoded (metadata dropped): still the same PNG image, its size what is on disk.
    with files.open_file(photo.file.name) as handle:
        stored = handle.read()
    assert photo.size == len(stored) and stored.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(png_bytes())).size

    for code, text in (
        ("urban-constr", "配合排查管网，无次生隐患"),
        ("st-lingxi", "安抚住户，协调物业清理"),
    ):
        phone = phones[code]
        # A cooperating unit does not call the caller back.
        expect(phone.locator("#contact-button")).to_have_count(0)
        report_result(phone, text)
        assert instruction_of(incident, code).state == "result_reported"

    # The office accepts each result, then closes the incident.
    desk.goto("/console/decisions/")
    results = desk.locator("section.card", has_text="处置结果待审核")
    expect(results.locator("h2")).to_have_text("处置结果待审核（3）")
    for name in ("区房产局", "区城市建设局", "陵西街道"):
        card = results.locator("div.card", has_text=name)
        expect(card).to_contain_text("已解决：")
        card.get_by_role("button", name="审核通过").click()
        expect(messages(desk)).to_contain_text("处置结果已审核通过")
        expect(results.locator("div.card", has_text=name)).to_have_count(0)
    expect(results).to_contain_text("没有待审核的处置结果")
    assert set(incident.instructions.values_list("state", flat=True)) == {"done"}

    desk.goto(f"/console/incidents/{incident.incident_id}/")
    desk.locator("details:has(#close-button) summary").click()
    desk.locator("form:has(#close-button) textarea[name=outcome]").fill(
        "管线已修复，恢复供热，报警人无异议"
    )
    desk.locator("#close-button").click()
    expect(messages(desk)).to_contain_text("已办结")
    expect(desk.locator("h1 .pill").first).to_have_text("已办结")
    expect(desk.locator("main")).to_contain_text("办结情况：管线已修复，恢复供热，报警人无异议")
    expect(desk.locator("h2", has_text="回访报警人")).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_at is not None
    assert Incident.objects.get(pk=incident.pk).outcome.startswith("管线已修复")


def test_choosing_a_category_fills_in_the_catalogues_proposal(site: Site) -> None:
    dispatcher = site.person("dispatcher")
    incident = new_incident(by=dispatcher, address=ADDRESS, content="有人反映情况，请核实。")
    desk = site.page("desktop", dispatcher)
    desk.goto(f"/console/incidents/{incident.incident_id}/")
    # cooperating units are proposed for linked disposal
    desk.locator("input[name=incident_class][value=linked_disposal]").check()
    for code, primary, coop in (
        ("dangerous-house", "区房产局", {"区应急局", "区城乡建设执法中心", "陵西街道"}),
        ("heating-leak", "区房产局", {"区城市建设局", "陵西街道"}),
    ):
        with desk.expect_response(re.compile(r"/api/v1/incidents/.+/proposal")) as answer:
            desk.locator("select#category").select_option(code)
        assert answer.value.ok
        expect(desk.locator("#primary_unit option:checked")).to_have_text(re.compile(f"^{primary}"))
        expect(desk.locator("#street option:checked")).to_have_text("陵西街道")
        selected = desk.locator("#cooperating_units option:checked")
        expect(selected).to_have_count(len(coop))
        assert set(selected.all_inner_texts()) == coop


def test_the_cooperating_units_follow_the_chosen_class_and_reach_every_chosen_unit(
    site: Site,
) -> None:
    """Source diversion goes to one unit: the cooperating list is visibly off. Choosing linked
    disposal selects the catalogue's cooperating units, and 派发 reaches every one of them."""
    dispatcher = site.person("dispatcher")
    incident = new_incident(by=dispatcher, address=ADDRESS, content=LEAK)
    desk = site.page("desktop", dispatcher)
    desk.goto(f"/console/incidents/{incident.incident_id}/")
    cooperating = desk.locator("#cooperating_units")
    # The model proposes a class (here linked disposal: water is entering a home below); the
    # dispatcher decides: source diversion first.
    desk.locator("input[name=incident_class][value=source_diversion]").check()
    expect(cooperating).to_be_disabled()
    expect(desk.locator("#cooperating_units option:checked")).to_have_count(0)

    desk.locator("input[name=incident_class][value=linked_disposal]").check()
    expect(cooperating).to_be_enabled()
    proposed = set(
        desk.locator("#cooperating_units option:checked").evaluate_all(
            "options => options.map(o => o.value)"
        )
    )
    assert proposed == {"urban-constr", "st-lingxi"}
    desk.locator("#dispatch-button").click()
    expect(messages(desk)).to_contain_text("已派发")
    incident.refresh_from_db()
    assert incident.incident_class == "linked_disposal"
    assert set(incident.instructions.values_list("unit__code", flat=True)) == {"housing"} | proposed

"""End-to-end journeys through the screens, as the people do them: the dispatcher at a desk, the
units' duty officers and leaders on their phones. After each step the test checks what the page
says (in Chinese) and what the database holds."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, Site, has_class, local_input, png_bytes
from tests.factories import dispatched, instruction_of, new_incident

expect = pytest.importorskip("playwright.sync_api").expect

ADDRESS = "于洪区陵西街道怒江北街188号3单元"
LEAK = "报警人称楼道供热管线漏水，热水外流，楼下住户家中进水。"


def messages(page: Any) -> Any:
    return page.locator("ul.messages")


def open_from_workbench(page: Any, instruction: Any, address: str) -> None:
    """A unit user finds the instruction in the list on /unit/ and opens it."""
    page.goto("/unit/")
    expect(page.locator("h1")).to_contain_text(instruction.unit.name)
    page.locator(".work-list li a", has_text=address).first.tap()
    expect(page).to_have_url(re.compile(rf"/unit/instructions/{instruction.pk}/$"))
    expect(page.locator("h1")).to_have_text(address)


def sign(page: Any) -> None:
    page.locator("#sign-button").tap()
    expect(messages(page)).to_contain_text("已签收")
    expect(page.locator("#sign-button")).to_have_count(0)


def report_result(page: Any, text: str, photo: str | None = None) -> None:
    form = page.locator("form:has(#result-button)")
    form.locator("select[name=outcome]").select_option("resolved")
    form.locator("textarea[name=text]").fill(text)
    if photo:
        form.locator("input[name=photos]").set_input_files(
            {"name": photo, "mimeType": "image/png", "buffer": png_bytes()}
        )
    page.locator("#result-button").tap()
    expect(messages(page)).to_contain_text("已反馈处置结果，等待区联动办审核")
    expect(page.locator("main")).to_contain_text(f"处置结果：{text}")


# --- 1. triage, dispatch, three units, accept, close -------------------------------------------


def test_a_linked_disposal_incident_goes_from_triage_to_closed(site: Site) -> None:
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
    expect(heading).to_contain_text("一级指令（紧急类）")
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
    assert photo.size == len(png_bytes())

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
    expect(desk.locator("input[name=incident_class][value=source_diversion]")).to_be_checked()
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


# --- 2. extension: duty officer → unit leader → office -------------------------------------


def test_an_extension_goes_from_the_duty_officer_to_the_leader_to_the_office(site: Site) -> None:
    from liandong import clock
    from liandong.incidents import actions
    from liandong.incidents.models import Deadline, ExtensionRequest

    incident = dispatched()
    inst = instruction_of(incident, "housing")
    officer = site.person("duty_officer", "housing", first_name="李值班")
    leader = site.person("unit_leader", "housing", first_name="赵局长")
    dispatcher = site.person("dispatcher")
    actions.do_sign_instruction(actor=officer, instruction=inst)
    result = Deadline.objects.get(instruction=inst, kind="result")
    original = result.due_at
    wanted = clock.to_beijing(original + timedelta(days=3)).replace(
        hour=17, minute=30, second=0, microsecond=0
    )

    phone = site.page("phone", officer)
    phone.goto(f"/unit/instructions/{inst.pk}/")
    expect(phone.locator(".deadlines")).to_contain_text(
        clock.to_beijing(original).strftime("%m-%d %H:%M")
    )
    details = phone.locator("details", has_text="进展报告与延期申请")
    details.locator("summary").tap()
    details.locator("textarea[name=progress]").fill("已更换阀门，管网需整体改造")
    details.locator("textarea[name=reason]").fill("需等待供热公司停热后施工")
    details.locator("input[name=proposed_due_at]").fill(local_input(wanted))
    phone.locator("#extension-button").tap()
    expect(messages(phone)).to_contain_text("已提交延期申请，等待本单位主管领导审批")
    request = ExtensionRequest.objects.get(instruction=inst)
    assert request.state == "pending_leader" and request.proposed_due_at == wanted

    boss = site.page("phone", leader)
    boss.goto("/unit/")
    expect(boss.locator("nav")).to_contain_text("延期审批 1")
    boss.locator("nav a", has_text="延期审批").tap()
    expect(boss).to_have_url(re.compile(r"/unit/approvals/$"))
    card = boss.locator("section.card", has_text=incident.address)
    expect(card).to_contain_text("需等待供热公司停热后施工")
    expect(card).to_contain_text(f"申请延至：{wanted:%Y-%m-%d %H:%M}")
    card.locator("textarea[name=note]").fill("情况属实")
    boss.locator(f"#approve-{request.pk}").tap()
    expect(messages(boss)).to_contain_text("已同意，报区联动办审核")
    expect(boss.locator("main")).to_contain_text("没有待审批的申请")
    request.refresh_from_db()
    assert request.state == "pending_office" and request.leader_id == leader.pk

    desk = site.page("desktop", dispatcher)
    desk.goto("/console/decisions/")
    card = desk.locator("section.card", has_text="延期申请").locator(
        "div.card", has_text="区房产局"
    )
    expect(card).to_contain_text(f"申请延至：{wanted:%m-%d %H:%M}")
    expect(card).to_contain_text("单位领导意见：情况属实")
    card.get_by_role("button", name="同意延期").click()
    expect(messages(desk)).to_contain_text("已同意延期")
    expect(desk.locator("main")).to_contain_text("没有待审核的延期申请")

    request.refresh_from_db()
    result.refresh_from_db()
    assert request.state == "approved" and request.granted_due_at == wanted
    assert result.due_at == wanted and result.original_due_at == original
    assert result.extended_at is not None and result.state == "open"

    phone.reload()
    expect(phone.locator(".deadlines")).to_contain_text(f"{wanted:%m-%d %H:%M}")
    expect(phone.locator(".deadlines")).not_to_contain_text(
        clock.to_beijing(original).strftime("%m-%d %H:%M")
    )
    phone.locator("details", has_text="进展报告与延期申请").locator("summary").tap()
    expect(phone.locator("details", has_text="进展报告与延期申请")).to_contain_text(
        f"已同意，延至{wanted:%m-%d %H:%M}"
    )


# --- 3. a return, reassigned to another unit -----------------------------------------------


def test_a_returned_instruction_is_reassigned_to_another_unit(site: Site) -> None:
    from liandong.incidents.models import Instruction, ReturnRequest

    incident = dispatched()
    old = instruction_of(incident, "housing")
    officer = site.person("duty_officer", "housing")
    dispatcher = site.person("dispatcher")
    newcomer = site.person("duty_officer", "city-mgmt")

    phone = site.page("phone", officer)
    open_from_workbench(phone, old, incident.address)
    details = phone.locator("details", has_text="非本单位职责，退回")
    details.locator("summary").tap()
    details.locator("textarea[name=reason]").fill("漏水点在市政管网，不属于房产局职责")
    phone.locator("#return-button").tap()
    expect(messages(phone)).to_contain_text("已提交退回申请")
    expect(phone.locator("main")).to_contain_text("退回待审核")
    request = ReturnRequest.objects.get(instruction=old)
    assert request.state == "pending_office"
    old.refresh_from_db()
    assert old.state == "return_requested"

    desk = site.page("desktop", dispatcher)
    desk.goto("/console/decisions/")
    card = desk.locator("section.card", has_text="退回申请").locator(
        "div.card", has_text="区房产局"
    )
    expect(card).to_contain_text("退回原因：漏水点在市政管网，不属于房产局职责")
    card.locator("select[name=unit]").select_option("city-mgmt")
    card.locator("textarea[name=note]").fill("改由城市管理局处置")
    card.get_by_role("button", name="同意退回并改派").click()
    expect(messages(desk)).to_contain_text("已改派")
    expect(desk.locator("main")).to_contain_text("没有待审核的退回申请")

    request.refresh_from_db()
    old.refresh_from_db()
    new = Instruction.objects.get(incident=incident, unit__code="city-mgmt")
    assert request.state == "approved" and request.reassigned_to_id == new.pk
    assert old.state == "reassigned" and new.reassigned_from_id == old.pk
    assert (new.role, new.state) == ("primary", "pending_sign")

    other = site.page("phone", newcomer)
    open_from_workbench(other, new, incident.address)
    expect(other.locator("main")).to_contain_text("主责单位")
    expect(other.locator("main")).to_contain_text("待签收")
    expect(other.locator("main")).to_contain_text("改由城市管理局处置")
    phone.goto("/unit/")
    expect(phone.locator(".work-list")).to_contain_text("暂无指令")


# --- 4. a new incident appears on the open console ----------------------------------------


def test_a_city_incident_appears_on_the_open_console_without_reloading(site: Site) -> None:
    import requests

    from liandong import clock
    from liandong.citylink import signing
    from liandong.citylink.models import CityPeer, KeyDirection
    from liandong.citylink.peers import do_add_peer_key
    from liandong.incidents.models import Incident

    secret = "city-secret-browser-0123456789"
    peer = CityPeer.objects.create(
        peer_id="shenyang-city", reports_url="", district_peer_id="yuhong-district"
    )
    do_add_peer_key(peer=peer, direction=KeyDirection.INBOUND, secret=secret)
    dispatcher = site.person("dispatcher")

    desk = site.page("desktop", dispatcher)
    loads: list[str] = []
    desk.on("load", lambda: loads.append(desk.url))
    with desk.expect_response(lambda r: "/console/live" in r.url):
        desk.goto("/console/")
    expect(desk.locator("#intake")).to_contain_text("暂无待研判警情")
    expect(desk.locator("#alert")).not_to_have_class(has_class("show"))
    desk.evaluate("window.__stillTheSamePage = true")

    now = clock.now()
    address = "于洪区北陵街道黄河北大街56号"
    payload = {
        "incident_id": f"SY{now:%Y%m%d%H%M%S}01",
        "received_at": (now - timedelta(minutes=3)).isoformat(timespec="seconds"),
        "transferred_at": (now - timedelta(minutes=1)).isoformat(timespec="seconds"),
        "caller_name": "张先生",
        "caller_phone": "13840012345",
        "address": address,
        "content": "报警人称小区井盖缺失，有行人跌落危险。",
        "city_category": "求助",
        "police_dispatched": False,
        "urgency": "urgent",
        "repeat_calls": 0,
    }
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signing.signed_headers(peer.peer_id, secret, body, time.time())
    answer = requests.post(
        f"{site.url}/api/city/v1/incidents", data=body, headers=headers, timeout=10
    )
    arrived = time.monotonic()
    assert answer.status_code == 201, answer.text

    item = desk.locator(f"#intake li[data-incident='{payload['incident_id']}']")
    expect(item).to_contain_text(address, timeout=2000)
    expect(desk.locator("#alert")).to_have_class(has_class("show"), timeout=500)
    seen_after = time.monotonic() - arrived
    assert seen_after <= 2.5, f"the console showed the incident after {seen_after:.1f}s"
    expect(desk.locator("#alert")).to_have_text("新警情 1 起待研判")
    expect(item).to_have_class(has_class("fresh"))
    expect(item).to_contain_text("【紧急】报警人称小区井盖缺失")
    expect(desk.locator("#intake-count")).to_have_text("1")
    assert desk.evaluate("window.__stillTheSamePage") is True
    assert len(loads) == 1, loads
    desk.context.close()  # stop the polling before the test reads the database

    incident = Incident.objects.get(incident_id=payload["incident_id"])
    assert (incident.status, incident.source, incident.address) == ("new", "city", address)


# --- 5. a unit sees only its own work ----------------------------------------------------


def test_a_unit_user_cannot_open_another_units_instruction(site: Site) -> None:
    incident = dispatched()
    housing = instruction_of(incident, "housing")
    ecology = site.person("duty_officer", "ecology")
    phone = site.page("phone", ecology)

    answer = phone.goto(f"/unit/instructions/{housing.pk}/")
    assert answer is not None and answer.status == 404
    body = phone.locator("body")
    expect(body).not_to_contain_text(incident.address)
    expect(body).not_to_contain_text(incident.content[:10])
    expect(body).not_to_contain_text("签收")
    assert phone.locator("#sign-button").count() == 0

    # Nor act on it (a proper form post, with the CSRF token of its own session).
    token = next(c["value"] for c in phone.context.cookies() if c["name"] == "csrftoken")
    answer = phone.request.post(
        f"/unit/instructions/{housing.pk}/sign",
        headers={"X-CSRFToken": token, "Referer": f"{site.url}/unit/"},
    )
    assert answer.status == 404, answer.status
    housing.refresh_from_db()
    assert housing.state == "pending_sign"

    phone.goto("/unit/")
    expect(phone.locator(".work-list")).to_contain_text("暂无指令")


def test_a_unit_user_opening_the_console_is_refused_with_403(site: Site) -> None:
    ecology = site.person("duty_officer", "ecology")
    phone = site.page("phone", ecology)
    answer = phone.goto("/console/")
    assert answer is not None
    assert answer.status == 403, answer.status
    expect(phone.locator("#intake")).to_have_count(0)


# --- logging in --------------------------------------------------------------------------


def test_logging_in_leads_back_to_the_page_asked_for(site: Site) -> None:
    officer = site.person("duty_officer", "housing")
    phone = site.page("phone")
    phone.goto("/unit/")
    expect(phone).to_have_url(re.compile(r"/login/\?next=/unit/$"))

    phone.locator("#id_username").fill(officer.username)
    phone.locator("#id_password").fill("not-the-password")
    phone.locator("button[type=submit]").tap()
    expect(phone.locator("body")).to_contain_text("用户名或密码错误，请重试。")
    expect(phone).to_have_url(re.compile(r"/login/"))

    phone.locator("#id_username").fill(officer.username)
    phone.locator("#id_password").fill(PASSWORD)
    phone.locator("button[type=submit]").tap()
    expect(phone).to_have_url(re.compile(r"/unit/$"))
    expect(phone.locator("h1")).to_have_text("区房产局 · 指令")

"""End-to-end journeys through the screens, as the people do them: the dispatcher at a desk, the
units' duty officers and leaders on their phones. After each step the test checks what the page
says (in Chinese) and what the database holds.

Here: an extension (duty officer → unit leader → office) and a return reassigned to another unit.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.browser.conftest import Site, local_input
from tests.browser.journeys import expect, messages, open_from_workbench
from tests.factories import dispatched, instruction_of

# --- 2. extension: duty officer → unit leader → office -------------------------------------


def deadline_text(moment: datetime) -> str:
    """A deadline as the screens write it: "12-03 24:00" for the end of a day."""
    from liandong import clock

    local = clock.to_beijing(moment)
    if (local.hour, local.minute) == (0, 0):
        return f"{local - timedelta(days=1):%m-%d} 24:00"
    return f"{local:%m-%d %H:%M}"


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
    expect(phone.locator(".deadlines")).to_contain_text(deadline_text(original))
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
    expect(card).to_contain_text("申请延至")
    expect(card).to_contain_text(deadline_text(wanted))
    expect(card).to_contain_text(f"现处置时限{deadline_text(original)}")
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
    expect(phone.locator(".deadlines")).not_to_contain_text(deadline_text(original))
    expect(phone.locator("#extension-granted")).to_contain_text(deadline_text(wanted))
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

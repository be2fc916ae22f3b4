"""Every main screen, on a desk (1440×900) and on a phone (390×844): it opens, says what it is in
Chinese, and a screenshot is saved to test-artifacts/screenshots/<screen>-<desktop|phone>.png for
people to look at."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, Site, png_bytes
from tests.factories import dispatched, instruction_of, new_incident, unit

expect = pytest.importorskip("playwright.sync_api").expect

#: Screens a duty officer uses on a phone: they must fit its width (no sideways scrolling).
PHONE_FIRST = {"login", "unit-workbench", "unit-instruction", "unit-approvals"}


@dataclass
class World:
    new: Any
    busy: Any
    housing: Any
    city: Any
    people: dict[str, Any]


def _world(site: Site) -> World:
    """Something on every screen: a new incident, one being worked on with a result, an extension,
    a return and a join request waiting, a city incident with reports, a leader with an approval."""
    from liandong import clock
    from liandong.incidents import actions

    people = {
        "dispatcher": site.person("dispatcher", first_name="王调度"),
        "officer": site.person("duty_officer", "housing", first_name="李值班"),
        "leader": site.person("unit_leader", "housing", first_name="赵局长"),
        "constr": site.person("duty_officer", "urban-constr"),
        "admin": site.person("admin", is_staff=True, is_superuser=True),
    }
    d, officer, constr = people["dispatcher"], people["officer"], people["constr"]

    new = new_incident(
        by=d,
        address="于洪区陵西街道怒江北街188号3单元东侧楼道（近小区南门）",
        content="报警人称楼道供热管线漏水，热水外流，楼下住户家中进水，请尽快派人处理。",
    )
    busy = dispatched(by=d, level=1)
    housing = instruction_of(busy, "housing")
    actions.do_sign_instruction(actor=officer, instruction=housing)
    actions.do_record_caller_contact(
        actor=officer, instruction=housing, reached=True, note="已约定"
    )
    actions.do_give_feedback(actor=officer, instruction=housing, text="已到场，关闭阀门")
    photo = actions.do_upload_attachment(
        actor=officer,
        instruction=housing,
        name="现场.png",
        content_type="image/png",
        data=png_bytes(),
    )
    actions.do_report_result(
        actor=officer,
        instruction=housing,
        outcome="resolved",
        text="更换破损管段，恢复供热",
        attachment_ids=[photo.pk],
    )
    coop = instruction_of(busy, "urban-constr")
    actions.do_sign_instruction(actor=constr, instruction=coop)
    due = coop.deadlines.get(kind="result").due_at
    ext = actions.do_request_extension(
        actor=constr,
        instruction=coop,
        progress="已排查管网",
        reason="需停热后施工",
        proposed_due_at=due + timedelta(days=3),
    )
    actions.do_leader_decide_extension(
        actor=site.person("unit_leader", "urban-constr"), request=ext, approve=True, note="同意"
    )

    other = dispatched(by=d)
    actions.do_request_return(
        actor=officer, instruction=instruction_of(other, "housing"), reason="不属于本单位职责"
    )
    joiner = instruction_of(other, "urban-constr")
    actions.do_sign_instruction(actor=constr, instruction=joiner)
    actions.do_request_join(
        actor=constr, instruction=joiner, units=[unit("st-lingxi")], reason="需要街道协调住户"
    )

    waiting = dispatched(by=d)
    mine = instruction_of(waiting, "housing")
    actions.do_sign_instruction(actor=officer, instruction=mine)
    actions.do_request_extension(
        actor=officer,
        instruction=mine,
        progress="已更换阀门",
        reason="管网需整体改造",
        proposed_due_at=mine.deadlines.get(kind="result").due_at + timedelta(days=5),
    )

    now = clock.now()
    city, _ = actions.do_receive_city_incident(
        incident_id=f"SY{now:%Y%m%d%H%M%S}77",
        received_at=now - timedelta(minutes=4),
        transferred_at=now - timedelta(minutes=2),
        caller_phone="13840012345",
        caller_name="张先生",
        address="于洪区北陵街道黄河北大街56号",
        content="报警人称小区井盖缺失，有行人跌落危险。",
        police_dispatched=False,
        urgency="urgent",
        raw_request={},
        raw_body="{}",
        content_hash="x",
    )
    from liandong.units.models import Category

    actions.do_dispatch_incident(
        actor=d,
        incident=city,
        incident_class="source_diversion",
        level=1,
        category=Category.objects.get(code="heating-leak"),
        primary_unit=unit("housing"),
    )
    return World(new=new, busy=busy, housing=housing, city=city, people=people)


def _layout(page: Any) -> dict[str, Any]:
    """How wide the page is against the window, and which elements stick out to the right."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = [];
          document.querySelectorAll('body *').forEach(el => {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
              const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
              if (!wide.includes(name)) wide.push(name);
            }
          });
          return {width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 12)};
        }"""
    )


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_every_main_screen_opens_and_is_photographed(site: Site, kind: str) -> None:
    world = _world(site)
    layouts: dict[str, Any] = {}

    def visit(page: Any, path: str, name: str, *texts: str) -> None:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        for text in texts:
            expect(page.locator("body")).to_contain_text(text)
        # The script has filled in every countdown and age (the console: after its first poll).
        page.wait_for_function(
            "() => [...document.querySelectorAll('.countdown[data-due], [data-age]')]"
            ".every(el => el.textContent.trim())"
        )
        layouts[name] = _layout(page)
        site.shot(page, name)

    guest = site.page(kind)
    visit(guest, "/login/", "login", "联动 · 用户登录", "用户名", "密码")

    office = site.page(kind, world.people["dispatcher"])
    visit(office, "/console/", "console", "待研判警情", "在办指令时限看板", world.new.address)
    visit(
        office,
        f"/console/incidents/{world.new.incident_id}/",
        "incident-new",
        "研判派发",
        "待研判",
        "供热管线漏水",
    )
    visit(
        office,
        f"/console/incidents/{world.busy.incident_id}/",
        "incident-dispatched",
        "处置中",
        "处置时间线",
        "附件：现场.png",
    )
    visit(
        office,
        "/console/decisions/",
        "decisions",
        "处置结果待审核（1）",
        "延期申请（1）",
        "退回申请（1）",
        "提请联动（1）",
    )
    visit(office, "/console/city-reports/", "city-reports", "上报市平台", world.city.incident_id)
    visit(office, "/console/incidents/", "incidents", "警情查询", world.city.incident_id)

    officer = site.page(kind, world.people["officer"])
    visit(officer, "/unit/", "unit-workbench", "区房产局 · 指令", world.busy.address)
    visit(
        officer,
        f"/unit/instructions/{world.housing.pk}/",
        "unit-instruction",
        "结果待审核",
        "处置结果：更换破损管段",
    )

    leader = site.page(kind, world.people["leader"])
    visit(leader, "/unit/approvals/", "unit-approvals", "待我审批的延期申请", "管网需整体改造")

    admin = site.page(kind, world.people["admin"])
    visit(admin, "/admin/", "admin", "系统管理")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"layout-{kind}.json").write_text(
        json.dumps(layouts, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if kind == "phone":
        too_wide = {
            name: layout
            for name, layout in layouts.items()
            if name in PHONE_FIRST and layout["scrollWidth"] > layout["width"]
        }
        assert not too_wide, f"phone screens wider than the phone: {too_wide}"

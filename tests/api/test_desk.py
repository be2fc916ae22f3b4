"""The dispatcher's desk and the forms, through the real views: the queue puts urgent incidents
first and says why, a dispatcher's claim is seen by the others, 派发并处理下一条 goes on to the next
one, a refused form keeps what was typed with each error next to its field, the call-back has no
default, and nobody decides their own request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role
from liandong.common.errors import IllegalTransition
from liandong.incidents import actions, available
from liandong.incidents.actions.kernel import actor_label
from liandong.incidents.models import CallBack, Event, Incident
from tests.factories import (
    dispatched,
    image_bytes,
    instruction_of,
    new_incident,
    office_user,
    unit_user,
)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_puts_urgent_incidents_first_and_says_why(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    office = office_user()
    toilet = new_incident(by=office, content="公园厕所无人打扫，气味很大。")
    clock.advance(timedelta(minutes=5))
    flood = new_incident(by=office, content="下立交积水很深，一辆轿车被困水中。")
    clock.advance(timedelta(minutes=5))
    police = new_incident(by=office, content="门口有人吵架", police_dispatched=True)
    live = client_for(office).get("/console/live").json()["intake"]
    assert [i["incident_id"] for i in live] == [
        flood.incident_id,  # urgent, waiting longest
        police.incident_id,
        toilet.incident_id,
    ]
    assert live[0]["cues"] == ["被困"] and live[1]["cues"] == ["已先期处警"]
    assert live[0]["urgent"] and not live[2]["urgent"]
    arrival = client_for(office).get("/console/live?order=arrival").json()["intake"]
    assert [i["incident_id"] for i in arrival][0] == toilet.incident_id
    urgent_only = client_for(office).get("/console/live?urgent=1").json()["intake"]
    assert {i["incident_id"] for i in urgent_only} == {flood.incident_id, police.incident_id}
    html = client_for(office).get("/console/").content.decode()
    assert html.index(flood.incident_id) < html.index(toilet.incident_id)


def test_a_supplement_that_speaks_of_danger_moves_a_waiting_incident_up(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = new_incident(content="楼道里有异味")
    actions.do_supplement_incident(incident=incident, text="报警人称闻到很浓的燃气味")
    incident.refresh_from_db()
    assert (incident.intake_priority, incident.intake_cues) == (0, ["燃气味"])


def test_a_claim_is_seen_by_the_other_dispatchers_and_recorded_once(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    first, second = office_user(), office_user()
    incident = new_incident(by=first)
    url = f"/console/incidents/{incident.incident_id}/claim"
    assert client_for(first).post(url).json() == {"claimed": True}
    client_for(first).post(url)  # opened again: nothing new
    assert Event.objects.filter(incident=incident, kind="claimed").count() == 1
    live = client_for(second).get("/console/live").json()["intake"]
    assert live[0]["claimed_by"] == actor_label(first)
    page = client_for(second).get(f"/console/incidents/{incident.incident_id}/").content.decode()
    assert "正在研判这起警情" in page
    clock.advance(timedelta(minutes=11))  # a claim left alone passes on
    assert client_for(second).get("/console/live").json()["intake"][0]["claimed_by"] == ""


def test_dispatch_and_next_goes_to_the_next_waiting_incident(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    office, other = office_user(), office_user()
    one = new_incident(by=office, content="下立交积水，车辆被困")
    two = new_incident(by=office)
    taken = new_incident(by=office, content="有人被困电梯")  # urgent, but someone is on it
    actions.do_claim_incident(actor=other, incident=taken)
    body = {
        "category": "heating-leak",
        "incident_class": "source_diversion",
        "level": "1",
        "primary_unit": "housing",
        "then": "next",
    }
    answer = client_for(office).post(f"/console/incidents/{one.incident_id}/dispatch", body)
    assert answer.status_code == 302
    assert answer["Location"] == f"/console/incidents/{two.incident_id}/"
    assert Incident.objects.get(pk=one.pk).status == "dispatched"


def test_a_refused_manual_entry_keeps_what_was_typed_with_the_error_next_to_it(db):
    office = office_user()
    client = client_for(office)
    typed = {
        "_form": "manual",
        "caller_name": "王女士",
        "caller_phone": "13912345678",
        "address": "于洪区某小区",
        "content": "   ",
        "police_dispatched": "on",
    }
    answer = client.post("/console/incidents/new", typed, follow=True)
    html = answer.content.decode()
    assert Incident.objects.count() == 0
    assert 'value="王女士"' in html and 'value="于洪区某小区"' in html
    assert 'data-error-for="content"' in html and "不能为空（也不能只有空格）" in html
    assert 'name="police_dispatched" checked' in html
    assert "content 不能" not in html  # no field codes in what users read
    again = client.get("/console/incidents/new").content.decode()  # once only
    assert "data-error-for" not in again


def test_a_refused_result_keeps_the_text_and_the_choice_and_asks_for_the_photos_again(
    db, frozen_at
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched(level=2, cooperating=())
    officer = unit_user("housing")
    housing = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=officer, instruction=housing)
    actions.do_record_caller_contact(
        actor=officer, instruction=instruction_of(incident, "housing"), reached=True
    )
    client = client_for(officer)
    photo = SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")
    answer = client.post(
        f"/unit/instructions/{housing.pk}/result",
        {
            "_form": "result",
            "outcome": "partially_resolved",
            "text": "已修复管道" * 1001,
            "photos": photo,
        },
        follow=True,
    )
    html = answer.content.decode()
    assert "已修复管道" * 1001 in html  # the typed result stays
    assert 'value="partially_resolved" selected' in html
    assert "请重新选择要上传的文件" in html
    assert "不能超过5000个字符（现有5005个）" in html  # next to the field, in Chinese


def test_the_call_back_has_no_default_and_reopens_only_when_unsatisfied(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    office = office_user()
    incident = dispatched(cooperating=())
    housing = unit_user("housing")
    inst = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=housing, instruction=inst)
    actions.do_record_caller_contact(actor=housing, instruction=inst, reached=True)
    actions.do_report_result(
        actor=housing,
        instruction=instruction_of(incident, "housing"),
        outcome="resolved",
        text="好",
    )
    actions.do_accept_result(actor=office, instruction=instruction_of(incident, "housing"))
    actions.do_close_incident(actor=office, incident=incident, outcome="已处置")
    page = client_for(office).get(f"/console/incidents/{incident.incident_id}/").content.decode()
    for label in ("满意", "基本满意", "不满意", "未接通", "无法回访"):
        assert f"> {label}</label>" in page
    assert 'name="satisfaction" value="satisfied" required checked' not in page
    url = f"/console/incidents/{incident.incident_id}/callback"
    client_for(office).post(url, {"_form": "callback", "satisfaction": "satisfied", "reopen": "on"})
    assert not CallBack.objects.exists()
    client_for(office).post(url, {"_form": "callback", "satisfaction": "not_reached"})
    assert CallBack.objects.get().satisfaction == "not_reached"
    incident.refresh_from_db()
    assert incident.satisfaction == ""  # an unanswered call says nothing of the caller's view


def test_a_leader_cannot_approve_their_own_extension_request(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched(cooperating=())
    leader = unit_user("housing", Role.UNIT_LEADER)
    other_leader = unit_user("housing", Role.UNIT_LEADER)
    inst = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=leader, instruction=inst)
    request = actions.do_request_extension(
        actor=leader,
        instruction=instruction_of(incident, "housing"),
        progress="已组织抢修",
        reason="需更换主管道",
        proposed_due_at=clock.now() + timedelta(days=10),
    )
    refused = available.refused(leader, request)["leader_approve"]
    assert refused.by == "rule" and "不能审批自己提交的申请" in refused.reason
    with pytest.raises(IllegalTransition):
        actions.do_leader_decide_extension(actor=leader, request=request, approve=True)
    api = client_for(leader).post(
        f"/api/v1/extension-requests/{request.pk}/leader-decision",
        {"approve": True},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "own_request"
    assert "leader_approve" in available.allowed(other_leader, request)
    actions.do_leader_decide_extension(actor=other_leader, request=request, approve=True)


def test_the_office_stands_down_one_cooperating_unit_and_the_city_hears_of_it(db, frozen_at):
    from liandong.citylink.models import CityReport
    from liandong.incidents.models import Deadline, Notification
    from liandong.units.models import Category
    from tests.factories import unit

    frozen_at("2026-11-30T09:00:00+08:00")
    office = office_user()
    incident, _ = actions.do_receive_city_incident(
        incident_id="SY2026113000001",
        received_at=clock.now(),
        transferred_at=clock.now(),
        caller_phone="13800000000",
        address="于洪区陵西街道怒江北街188号",
        content="楼道供热管线漏水",
        police_dispatched=False,
        raw_request={},
        raw_body="{}",
        content_hash="x",
    )
    actions.do_dispatch_incident(
        actor=office,
        incident=incident,
        incident_class="linked_disposal",
        level=1,
        category=Category.objects.get(code="heating-leak"),
        primary_unit=unit("housing"),
        cooperating_units=[unit("urban-constr")],
    )
    coop = instruction_of(incident, "urban-constr")
    actions.do_sign_instruction(actor=unit_user("urban-constr"), instruction=coop)
    primary = instruction_of(incident, "housing")
    refused = available.refused(office, primary)["cancel"]
    assert "主责单位不能单独撤销" in refused.reason
    client = client_for(office)
    client.post(f"/console/instructions/{coop.pk}/stand-down", {"reason": "  "})
    assert instruction_of(incident, "urban-constr").state == "signed"  # a reason is required
    client.post(f"/console/instructions/{coop.pk}/stand-down", {"reason": "现场无需市政配合"})
    coop.refresh_from_db()
    assert coop.state == "cancelled"
    assert not Deadline.objects.filter(instruction=coop, state="open").exists()
    event = Event.objects.get(instruction=coop, kind="stood_down")
    assert "现场无需市政配合" in event.summary
    assert Notification.objects.filter(unit__code="urban-constr", kind="withdrawn").exists()
    assert instruction_of(incident, "housing").state == "pending_sign"  # the others go on
    reports = CityReport.objects.filter(incident=incident, type="dispatched").order_by("sequence")
    assert reports.count() == 2
    assert reports.last().data["cooperating"] == []  # the city hears the new set of units


def test_the_admin_speaks_chinese_where_django_does_not(db):
    from liandong.accounts.models import User

    admin = User.objects.create_superuser("zh-admin", password="Str0ng-Passw0rd!")
    client = client_for(admin)
    add_user = client.get("/admin/accounts/user/add/").content.decode()
    assert "After you" not in add_user and "创建用户后" in add_user
    catalog = client.get("/admin/jsi18n/").content.decode()
    assert "\\u5168\\u90e8\\u9009\\u62e9" in catalog or "全部选择" in catalog
    instructions = client.get("/admin/incidents/instruction/").content.decode()
    assert ">承办单位<" in instructions or "承办单位" in instructions
    assert (
        "INCIDENT" not in instructions.upper().split("<TITLE>")[0]
        or ">Incident<" not in instructions
    )


def test_a_units_aliases_are_lines_and_a_tier_change_needs_its_reason_and_document(db):
    from liandong.accounts.models import User
    from liandong.units.models import TierChange
    from tests.factories import unit

    admin = User.objects.create_superuser("unit-admin", password="Str0ng-Passw0rd!")
    client = client_for(admin)
    housing = unit("housing")
    url = f"/admin/units/unit/{housing.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="aliases_text"' in form and "[]" not in form.split('name="aliases_text"')[1][:80]
    body = {
        "code": housing.code,
        "name": housing.name,
        "kind": housing.kind,
        "tier": "3",
        "street_code": housing.street_code,
        "role_note": housing.role_note,
        "duty_phone": housing.duty_phone,
        "active": "on",
        "aliases_text": "房产局\n区住房局\n房产局\n",
        "tier_changes-TOTAL_FORMS": "0",
        "tier_changes-INITIAL_FORMS": "0",
    }
    refused = client.post(url, body)
    assert refused.status_code == 200 and "调整联动级别时请填写调整原因" in refused.content.decode()
    assert unit("housing").tier == housing.tier
    done = client.post(
        url, {**body, "tier_reason": "职责调整", "tier_document": "于联办〔2026〕3号"}
    )
    assert done.status_code == 302
    changed = unit("housing")
    assert changed.tier == 3 and changed.aliases == ["房产局", "区住房局"]
    change = TierChange.objects.get(unit=changed, to_tier=3)
    assert (change.reason, change.document_number) == ("职责调整", "于联办〔2026〕3号")
    assert str(change) == "区房产局：二级联动单位 → 三级联动单位"


def test_error_pages_are_chinese_with_a_way_back_and_the_favicon_is_served(db):
    office = office_user()
    client = client_for(office)
    missing = client.get("/console/incidents/NOPE/")
    html = missing.content.decode()
    assert missing.status_code == 404 and "页面不存在" in html and 'href="/"' in html
    unit_user_client = client_for(unit_user("housing"))
    refused = unit_user_client.get("/console/")
    assert refused.status_code == 403 and "无权操作" in refused.content.decode()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"].endswith("favicon.ico")

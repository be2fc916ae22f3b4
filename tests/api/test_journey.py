"""The whole life of incidents through the API, as the office and the units live it."""

from __future__ import annotations

from datetime import timedelta

from liandong import clock
from liandong.incidents.models import Event, Incident, Notification
from tests.factories import Api, error_fields, instruction_of, new_incident, office_user, unit_user

NOISE_TO_ECOLOGY = {
    "incident_class": "source_diversion",
    "level": 2,
    "category": "noise",
    "primary_unit": "ecology",
}


def dispatch_noise_to_ecology(office: Api, incident: Incident, **overrides: object) -> dict:
    response = office.post(
        f"/incidents/{incident.incident_id}/dispatch", {**NOISE_TO_ECOLOGY, **overrides}
    )
    assert response.status_code == 200, response.content
    return response.json()


def _deadline(body: dict, kind: str) -> dict:
    return next(d for d in body["deadlines"] if d["kind"] == kind)


def test_linked_disposal_from_manual_entry_to_call_back(db, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")  # a Tuesday
    office = Api(office_user())
    housing, urban, street = (Api(unit_user(c)) for c in ("ecology", "enforcement", "st-lingxi"))

    # Given a call entered by hand
    created = office.post(
        "/incidents",
        {
            "caller_phone": "13840012345",
            "caller_name": "张先生",
            "address": "于洪区陵西街道怒江北街188号",
            "content": "小区旁化工厂偷排废水，气味刺鼻。",
            "police_dispatched": True,
        },
    )
    assert created.status_code == 201, created.content
    incident_id = created.json()["incident_id"]
    assert incident_id.startswith("QY20261201")
    # the request is kept as entered; the office reads it with the caller masked (privacy.py)
    assert created.json()["raw_request"]["caller_phone"] == "138****2345"
    stored = Incident.objects.get(incident_id=incident_id).raw_request
    assert stored["caller_phone"] == "13840012345"

    # When the office asks the catalogue, it proposes primary, cooperating units and the street
    proposal = office.get(f"/incidents/{incident_id}/proposal", category="pollution").json()
    assert proposal["primary_unit"]["code"] == "ecology"
    assert proposal["street"]["code"] == "st-lingxi"
    assert [u["code"] for u in proposal["cooperating_units"]] == ["enforcement", "st-lingxi"]

    # and dispatches as linked disposal, level 1: one instruction per unit at the same moment
    body = office.post(
        f"/incidents/{incident_id}/dispatch",
        {
            "incident_class": "linked_disposal",
            "level": 1,
            "category": "pollution",
            "primary_unit": "ecology",
            "cooperating_units": ["enforcement", "st-lingxi"],
            "street": "st-lingxi",
        },
    ).json()
    assert body["status"] == "dispatched"
    assert {u["code"]: u["role"] for u in body["units"]} == {
        "ecology": "primary",
        "enforcement": "cooperating",
        "st-lingxi": "cooperating",
    }
    assert len({i["dispatched_at"] for i in body["instructions"]}) == 1
    primary = next(i for i in body["instructions"] if i["unit"]["code"] == "ecology")
    assert _deadline(primary, "sign")["due_at"] == "2026-12-01T09:10:00+08:00"
    assert _deadline(primary, "feedback")["due_at"] == "2026-12-01T11:00:00+08:00"
    assert _deadline(primary, "result")["due_at"] == "2026-12-02T09:00:00+08:00"
    ids = {i["unit"]["code"]: i["id"] for i in body["instructions"]}

    # Then every unit signs; the tier-1 primary gets a 5-minute caller-contact clock
    clock.advance(timedelta(minutes=3))
    signed = housing.post(f"/instructions/{ids['ecology']}/sign").json()
    assert _deadline(signed, "caller_contact")["due_at"] == "2026-12-01T09:08:00+08:00"
    assert urban.post(f"/instructions/{ids['enforcement']}/sign").status_code == 200
    clock.advance(timedelta(minutes=8))  # street signs one minute late
    late = street.post(f"/instructions/{ids['st-lingxi']}/sign").json()
    assert _deadline(late, "sign")["state"] == "missed"
    assert _deadline(late, "sign")["missed_by_seconds"] == 60

    # The primary records the caller contact, gives on-scene feedback and the result
    contact = housing.post(
        f"/instructions/{ids['ecology']}/caller-contacts",
        {
            "reached": True,
            "contacted_at": "2026-12-01T09:05:00+08:00",
            "note": "已告知维修人员到场时间",
        },
    )
    assert contact.status_code == 201, contact.content
    assert _deadline(contact.json(), "caller_contact")["state"] == "met"
    fb = housing.post(
        f"/instructions/{ids['ecology']}/feedback", {"text": "已关闭阀门，正在抢修"}
    ).json()
    assert fb["feedback"]["kind"] == "on_scene"
    for code, api in (("enforcement", urban), ("st-lingxi", street)):
        assert (
            api.post(
                f"/instructions/{ids[code]}/result", {"outcome": "resolved", "text": "配合完成"}
            ).status_code
            == 200
        )
    res = housing.post(
        f"/instructions/{ids['ecology']}/result", {"outcome": "resolved", "text": "管线已修复"}
    )
    assert res.json()["state"] == "result_reported"

    # Closing before the office accepted the results is refused and changes nothing
    refused = office.post(f"/incidents/{incident_id}/close", {"outcome": "已修复"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "open_instructions"

    # The office sends one result back, then accepts all and closes
    back = office.post(
        f"/instructions/{ids['ecology']}/send-back-result", {"reason": "请补充现场照片"}
    )
    assert back.json()["state"] == "in_progress"
    assert _deadline(back.json(), "result")["state"] == "open"
    housing.post(
        f"/instructions/{ids['ecology']}/result",
        {"outcome": "resolved", "text": "管线已修复，附照片"},
    )
    for inst_id in ids.values():
        assert office.post(f"/instructions/{inst_id}/accept-result").json()["state"] == "done"
    closed = office.post(
        f"/incidents/{incident_id}/close", {"outcome": "供热管线已修复，积水已清理"}
    ).json()
    assert closed["status"] == "closed"
    assert closed["elapsed_seconds"] > 0

    # A call-back: unsatisfied and reopened gives the primary unit a new instruction
    cb = office.post(
        f"/incidents/{incident_id}/callbacks",
        {"satisfaction": "unsatisfied", "note": "仍有渗水", "reopen": True},
    ).json()
    assert cb["status"] == "dispatched"
    fresh = [i for i in cb["instructions"] if i["state"] == "pending_sign"]
    assert [i["unit"]["code"] for i in fresh] == ["ecology"]

    timeline = office.get(f"/incidents/{incident_id}/timeline").json()
    kinds = [e["kind"] for e in timeline]
    for expected in (
        "created",
        "dispatched",
        "signed",
        "caller_contacted",
        "feedback",
        "result",
        "result_sent_back",
        "result_accepted",
        "closed",
        "called_back",
        "reopened",
    ):
        assert expected in kinds
    assert all(e["actor"] for e in timeline)
    assert Event.objects.filter(incident__incident_id=incident_id).count() == len(timeline)


def test_source_diversion_refuses_cooperating_units_and_names_the_field(db):
    office = Api(office_user())
    incident = new_incident()
    response = office.post(
        f"/incidents/{incident.incident_id}/dispatch",
        {
            "incident_class": "source_diversion",
            "level": 2,
            "category": "noise",
            "primary_unit": "ecology",
            "cooperating_units": ["enforcement"],
        },
    )
    assert response.status_code == 422
    assert error_fields(response) == ["cooperating_units"]
    incident.refresh_from_db()
    assert incident.status == "new"
    assert not incident.instructions.exists()


def test_dispatch_validation_names_every_bad_field(db):
    office = Api(office_user())
    incident = new_incident()
    response = office.post(
        f"/incidents/{incident.incident_id}/dispatch",
        {"incident_class": "other", "level": 3, "category": "noise"},
    )
    assert response.status_code == 422
    assert set(error_fields(response)) == {"incident_class", "level", "primary_unit"}
    unknown = office.post(
        f"/incidents/{incident.incident_id}/dispatch",
        {
            "incident_class": "linked_disposal",
            "level": 1,
            "category": "nope",
            "primary_unit": "housing",
        },
    )
    assert unknown.status_code == 422 and error_fields(unknown) == ["category"]
    support = office.post(
        f"/incidents/{incident.incident_id}/dispatch",
        {
            "incident_class": "linked_disposal",
            "level": 1,
            "category": "noise",
            "primary_unit": "finance",
        },
    )
    assert support.status_code == 422 and error_fields(support) == ["primary_unit"]
    assert not incident.instructions.exists()


def test_return_to_city_needs_a_reason(db):
    office = Api(office_user())
    incident = new_incident()
    missing = office.post(f"/incidents/{incident.incident_id}/return-to-city", {"reason": "  "})
    assert missing.status_code == 422 and error_fields(missing) == ["reason"]
    ok = office.post(f"/incidents/{incident.incident_id}/return-to-city", {"reason": "属于和平区"})
    assert ok.json()["status"] == "returned"
    assert ok.json()["return_reason"] == "属于和平区"


def test_merge_repeat_call_tells_the_units_holding_the_open_incident(db):
    office = Api(office_user())
    dispatch_body = {
        "incident_class": "source_diversion",
        "level": 2,
        "category": "noise",
        "primary_unit": "ecology",
    }
    first = new_incident()
    office.post(f"/incidents/{first.incident_id}/dispatch", dispatch_body)
    repeat = new_incident(content="还是很吵")

    merged = office.post(
        f"/incidents/{repeat.incident_id}/merge", {"into": first.incident_id}
    ).json()

    assert merged["status"] == "merged" and merged["merged_into"] == first.incident_id
    target = office.get(f"/incidents/{first.incident_id}").json()
    assert target["repeat_calls"] == 1
    assert Notification.objects.filter(unit__code="ecology", kind="repeat_call").count() == 1


def test_return_then_reassign_gives_the_new_unit_fresh_deadlines(db, frozen_at):
    frozen_at("2026-12-01T10:00:00+08:00")
    office = Api(office_user())
    incident = new_incident()
    dispatch_noise_to_ecology(office, incident)
    inst = instruction_of(incident, "ecology")
    ecology = Api(unit_user("ecology"))
    clock.advance(timedelta(hours=1))
    request = ecology.post(
        f"/instructions/{inst.pk}/return", {"reason": "商铺外放噪声属行政执法"}
    ).json()
    assert request["state"] == "pending_office"
    pending = office.get("/pending").json()
    assert [r["id"] for r in pending["returns"]] == [request["id"]]

    clock.advance(timedelta(hours=1))
    decided = office.post(
        f"/return-requests/{request['id']}/decision",
        {"decision": "reassign", "unit": "enforcement", "note": "改由行政执法分局处置"},
    ).json()
    assert decided["state"] == "approved"
    new = office.get(f"/instructions/{decided['reassigned_to']}").json()
    assert new["unit"]["code"] == "enforcement" and new["role"] == "primary"
    assert new["dispatched_at"] == "2026-12-01T12:00:00+08:00"
    assert _deadline(new, "sign")["due_at"] == "2026-12-01T12:30:00+08:00"
    old = office.get(f"/instructions/{inst.pk}").json()
    assert old["state"] == "reassigned"
    assert {d["state"] for d in old["deadlines"]} == {"stopped"}
    detail = office.get(f"/incidents/{incident.incident_id}").json()
    assert detail["elapsed_seconds"] >= 2 * 3600


def test_insisting_on_a_return_gives_the_instruction_back_in_its_earlier_state(db):
    office = Api(office_user())
    incident = new_incident()
    dispatch_noise_to_ecology(office, incident)
    inst = instruction_of(incident, "ecology")
    ecology = Api(unit_user("ecology"))
    ecology.post(f"/instructions/{inst.pk}/sign")
    request = ecology.post(f"/instructions/{inst.pk}/return", {"reason": "不是我们的"}).json()
    decided = office.post(
        f"/return-requests/{request['id']}/decision",
        {"decision": "insist", "note": "工业噪声属生态环境"},
    ).json()
    assert decided["state"] == "refused"
    assert ecology.get(f"/instructions/{inst.pk}").json()["state"] == "signed"


def test_join_request_approved_gives_the_new_units_instructions(db):
    incident_api = Api(office_user())
    incident = new_incident()
    incident_api.post(
        f"/incidents/{incident.incident_id}/dispatch",
        {
            "incident_class": "linked_disposal",
            "level": 1,
            "category": "unpaid-wages",
            "primary_unit": "hr-social",
        },
    )
    inst = instruction_of(incident, "hr-social")
    hr = Api(unit_user("hr-social"))
    hr.post(f"/instructions/{inst.pk}/sign")
    req = hr.post(
        f"/instructions/{inst.pk}/join-requests",
        {"units": ["police", "petitions"], "reason": "现场聚集人数增多"},
    ).json()
    decided = incident_api.post(
        f"/join-requests/{req['id']}/decision", {"approve": True, "units": ["police"]}
    ).json()
    assert decided["state"] == "approved"
    assert [u["code"] for u in decided["approved_units"]] == ["police"]
    police = instruction_of(incident, "police")
    assert police.role == "cooperating" and police.state == "pending_sign"


def test_extension_goes_from_duty_officer_to_leader_to_office_and_keeps_the_original(db, frozen_at):
    frozen_at("2026-11-27T15:00:00+08:00")  # Friday; 3 working days → ends 24:00 Wed 12-02
    office = Api(office_user())
    incident = new_incident()
    dispatch_noise_to_ecology(office, incident)
    inst = instruction_of(incident, "ecology")
    officer, leader = Api(unit_user("ecology")), Api(unit_user("ecology", role="unit_leader"))
    officer.post(f"/instructions/{inst.pk}/sign")
    assert (
        _deadline(officer.get(f"/instructions/{inst.pk}").json(), "result")["due_at"]
        == "2026-12-03T00:00:00+08:00"
    )

    too_early = officer.post(
        f"/instructions/{inst.pk}/extension-requests",
        {"progress": "已约谈", "reason": "需核查", "proposed_due_at": "2026-12-02T12:00:00+08:00"},
    )
    assert too_early.status_code == 422 and error_fields(too_early) == ["proposed_due_at"]
    req = officer.post(
        f"/instructions/{inst.pk}/extension-requests",
        {
            "progress": "已约谈施工单位",
            "reason": "需住建部门核查许可",
            "proposed_due_at": "2026-12-08T00:00:00+08:00",
        },
    ).json()
    assert req["state"] == "pending_leader"
    assert office.get("/pending").json()["extensions"] == []
    # the duty officer cannot sign off their own request
    assert (
        officer.post(
            f"/extension-requests/{req['id']}/leader-decision", {"approve": True}
        ).status_code
        == 403
    )
    assert leader.get("/pending").json()["extensions_for_leader"][0]["id"] == req["id"]
    assert (
        leader.post(
            f"/extension-requests/{req['id']}/leader-decision", {"approve": True, "note": "同意"}
        ).json()["state"]
        == "pending_office"
    )
    granted = office.post(f"/extension-requests/{req['id']}/decision", {"grant": True}).json()
    assert granted["state"] == "approved"
    result = _deadline(officer.get(f"/instructions/{inst.pk}").json(), "result")
    assert result["due_at"] == "2026-12-08T00:00:00+08:00"
    assert result["original_due_at"] == "2026-12-03T00:00:00+08:00"
    assert result["extended"] is True


def test_extension_request_after_the_result_deadline_is_refused(db, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")
    office = Api(office_user())
    incident = new_incident()
    dispatch_noise_to_ecology(office, incident, level=1)
    inst = instruction_of(incident, "ecology")
    officer = Api(unit_user("ecology"))
    officer.post(f"/instructions/{inst.pk}/sign")
    clock.advance(timedelta(hours=25))
    response = officer.post(
        f"/instructions/{inst.pk}/extension-requests",
        {
            "progress": "处理中",
            "reason": "需要更多时间",
            "proposed_due_at": "2026-12-05T09:00:00+08:00",
        },
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deadline_passed"


def test_withdraw_stops_every_clock_and_tells_every_unit(db):
    office = Api(office_user())
    incident = new_incident()
    office.post(
        f"/incidents/{incident.incident_id}/dispatch",
        {
            "incident_class": "linked_disposal",
            "level": 1,
            "category": "heating-leak",
            "primary_unit": "housing",
            "cooperating_units": ["urban-constr"],
        },
    )
    body = office.post(
        f"/incidents/{incident.incident_id}/withdraw", {"reason": "报警人已自行解决"}
    ).json()
    assert body["status"] == "withdrawn"
    assert {i["state"] for i in body["instructions"]} == {"cancelled"}
    assert {d["state"] for i in body["instructions"] for d in i["deadlines"]} == {"stopped"}
    told = set(Notification.objects.filter(kind="withdrawn").values_list("unit__code", flat=True))
    assert told == {"housing", "urban-constr"}


def test_urge_is_recorded_and_reaches_the_unit(db):
    office = Api(office_user())
    incident = new_incident()
    dispatch_noise_to_ecology(office, incident)
    inst = instruction_of(incident, "ecology")
    assert office.post(f"/instructions/{inst.pk}/urge", {"note": "请尽快签收"}).status_code == 201
    assert inst.urges.count() == 1
    unit_notes = Api(unit_user("ecology")).get("/notifications").json()
    assert any(n["kind"] == "urged" for n in unit_notes)


def test_result_with_a_photo_attachment(db):
    office = Api(office_user())
    incident = new_incident()
    dispatch_noise_to_ecology(office, incident)
    inst = instruction_of(incident, "ecology")
    officer = Api(unit_user("ecology"))
    officer.post(f"/instructions/{inst.pk}/sign")
    officer.post(f"/instructions/{inst.pk}/caller-contacts", {"reached": False, "note": "无人接听"})
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import image_bytes

    photo = SimpleUploadedFile("现场.png", image_bytes(), content_type="image/png")
    uploaded = officer.client.post(f"/api/v1/instructions/{inst.pk}/attachments", {"file": photo})
    assert uploaded.status_code == 201, uploaded.content
    bad = officer.client.post(
        f"/api/v1/instructions/{inst.pk}/attachments",
        {"file": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")},
    )
    assert bad.status_code == 422 and error_fields(bad) == ["file"]
    body = officer.post(
        f"/instructions/{inst.pk}/result",
        {
            "outcome": "resolved",
            "text": "已责令停止施工",
            "attachment_ids": [uploaded.json()["id"]],
        },
    ).json()
    assert body["result"]["attachments"][0]["name"] == "现场.png"
    download = office.client.get(
        f"/api/v1/instructions/{inst.pk}/attachments/{uploaded.json()['id']}"
    )
    assert download.status_code == 200

"""Formal supervision orders (督办) through the API: the supervisor issues one (numbered per year),
the unit's leader answers in writing with the signed scan, the supervisor sends it back or accepts
it; every step is an event on each incident involved; a late answer counts as late."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role
from liandong.incidents.models import Event, Notification
from tests.factories import Api, dispatched, instruction_of, office_user, unit_user

T0 = "2026-11-30T09:00:00+08:00"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _order_body(*instructions: int, due_hours: int = 48) -> dict:
    due = datetime.fromisoformat(T0) + timedelta(hours=due_hours)
    return {
        "unit": "housing",
        "instructions": list(instructions),
        "problems": "签收严重超时，报警人多次来电催促。",
        "measures": "立即组织处置，查明超时原因，追究相关人员责任。",
        "answer_due_at": due.isoformat(),
        "contact": "李督办 024-12345678",
    }


def _answer(client: Client, order_id: int, text: str = "已处置完毕，并对值班人员进行了批评教育。"):
    return client.post(
        f"/api/v1/supervision-orders/{order_id}/answer",
        {
            "text": text,
            "document": SimpleUploadedFile("回复.pdf", PDF, content_type="application/pdf"),
        },
    )


def test_a_supervision_order_goes_from_issue_to_closed(db, frozen_at):
    frozen_at(T0)
    first, second = dispatched(), dispatched()
    a, b = instruction_of(first, "housing"), instruction_of(second, "housing")
    supervisor = Api(office_user(Role.SUPERVISOR))
    assert Api(office_user()).post("/supervision-orders", _order_body(a.pk)).status_code == 403

    response = supervisor.post("/supervision-orders", _order_body(a.pk, b.pk))
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["number"] == "于联督〔2026〕1号" and order["state"] == "issued"
    assert {i["id"] for i in order["instructions"]} == {a.pk, b.pk}
    assert supervisor.post("/supervision-orders", _order_body(a.pk)).json()["number"] == (
        "于联督〔2026〕2号"
    )
    assert Event.objects.filter(kind="supervision_issued").count() == 3  # one per incident each
    leader = unit_user("housing", Role.UNIT_LEADER)
    assert Notification.objects.filter(kind="supervision_issued", audience="leaders").exists()
    leader_api = Api(leader)
    seen = leader_api.get(f"/supervision-orders/{order['id']}").json()
    assert seen["allowed_actions"] == ["answer"]
    assert (
        Api(unit_user("ecology", Role.UNIT_LEADER))
        .get(f"/supervision-orders/{order['id']}")
        .status_code
        == 404
    )
    officer = Client()
    officer.force_login(unit_user("housing"))
    assert _answer(officer, order["id"]).status_code == 403  # the leader answers, not the officer

    clock.advance(timedelta(hours=50))  # two hours after the answer deadline
    answered = _answer(leader_api.client, order["id"])
    assert answered.status_code == 200, answered.content
    assert answered.json()["state"] == "answered" and answered.json()["answered_late"] is True
    scan = leader_api.client.get(f"/api/v1/supervision-orders/{order['id']}/answer-document")
    assert scan.status_code == 200, scan.content
    assert b"".join(scan.streaming_content) == PDF

    back = supervisor.post(
        f"/supervision-orders/{order['id']}/send-back", {"note": "请说明整改措施"}
    ).json()
    assert back["state"] == "issued"
    assert _answer(leader_api.client, order["id"], "已整改：调整值班安排。").status_code == 200
    closed = supervisor.post(f"/supervision-orders/{order['id']}/accept", {"note": ""}).json()
    assert closed["state"] == "closed" and closed["answered_late"] is True
    kinds = list(
        Event.objects.filter(incident=first, kind__startswith="supervision")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "supervision_issued",
        "supervision_issued",
        "supervision_answered",
        "supervision_sent_back",
        "supervision_answered",
        "supervision_accepted",
    ]


def test_an_order_must_name_the_units_instructions_and_a_time_to_answer(db, frozen_at):
    frozen_at(T0)
    incident = dispatched()
    coop = instruction_of(incident, "urban-constr")
    supervisor = Api(office_user(Role.SUPERVISOR))
    body = _order_body(coop.pk)
    body["answer_due_at"] = T0
    body["problems"] = ""
    response = supervisor.post("/supervision-orders", body)
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"instructions", "answer_due_at", "problems"}
    assert not Event.objects.filter(kind="supervision_issued").exists()

"""警情查询's filters, the exact phone search recorded as a reveal, and every office list exported
to .xlsx with its filters."""

from __future__ import annotations

import io

from django.test import Client
from openpyxl import load_workbook

from liandong.incidents import actions
from liandong.incidents.models import Event
from tests.factories import dispatched, instruction_of, new_incident, office_user, unit_user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:200]
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_the_search_filters_and_the_phone_search_is_on_record(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    office = office_user()
    client = _client(office)
    heating = dispatched(level=1)  # housing + urban-constr
    noise = new_incident(by=office, caller_phone="13912345678", content="夜间施工噪声")
    page = client.get("/console/incidents/", {"unit": "housing"}).content.decode()
    assert heating.incident_id in page and noise.incident_id not in page
    page = client.get(
        "/console/incidents/", {"level": "1", "status": "dispatched"}
    ).content.decode()
    assert heating.incident_id in page and noise.incident_id not in page
    page = client.get("/console/incidents/", {"from": "2026-12-01"}).content.decode()
    assert heating.incident_id not in page

    page = client.get("/console/incidents/", {"phone": "13912345678"}).content.decode()
    assert noise.incident_id in page and heating.incident_id not in page
    reveal = Event.objects.get(incident=noise, kind="caller_phone_revealed")
    assert reveal.actor == office

    rows = _rows(client.get("/console/incidents/", {"unit": "housing", "format": "xlsx"}))
    assert "unit=housing" in rows[0][0]
    assert rows[1][0] == "警情编号" and rows[2][0] == heating.incident_id and len(rows) == 3


def test_the_chosen_filters_stay_chosen_on_the_form(db):
    client = _client(office_user())
    page = client.get(
        "/console/incidents/", {"unit": "housing", "level": "1", "class": "linked_disposal"}
    ).content.decode()
    assert '<option value="housing" selected>' in page
    assert '<option value="1" selected>' in page
    assert '<option value="linked_disposal" selected>' in page
    assert page.count(" selected>") == 3


def test_the_board_the_decisions_and_the_city_reports_export(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    client = _client(office_user())
    incident = dispatched(level=2)
    actions.do_request_return(
        actor=unit_user("housing"),
        instruction=instruction_of(incident, "housing"),
        reason="非本单位职责",
    )
    board = _rows(client.get("/console/", {"level": "2", "format": "xlsx"}))
    assert "level=2" in board[0][0]
    assert {r[2] for r in board[2:]} == {"区房产局", "区城市建设局"}
    decisions = _rows(client.get("/console/decisions/", {"format": "xlsx"}))
    assert decisions[2][:3] == ("退回申请", "区房产局", incident.incident_id)
    reports = _rows(client.get("/console/city-reports/", {"format": "xlsx"}))
    assert reports[1][0] == "警情编号"
    officer = _client(unit_user("housing"))
    assert officer.get("/console/", {"format": "xlsx"}).status_code == 403

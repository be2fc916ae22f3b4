"""The caller's personal data (个人信息), attacked from every door: the API's lists and detail, the
reveal, the screens, the exports, and the retention period.

Masked by default everywhere; the full name and phone only to those who call the caller (the
office, the unit holding the primary instruction), each reveal one event; a cooperating unit, the
district leadership and administrators never get them. After the retention period a finished
incident's caller is anonymised, and the statistics do not change.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from liandong import clock
from liandong.accounts.models import Role
from liandong.incidents import actions
from liandong.incidents.models import Event, Incident, Notification
from liandong.stats.services import statistics
from liandong.units.models import Category
from tests.factories import UserFactory, instruction_of, new_incident, office_user, unit, unit_user

PHONE, NAME = "13912345678", "张三丰"
MASKED_PHONE, MASKED_NAME = "139****5678", "张**"
PRIMARY, COOPERATING, OUTSIDER = "housing", "urban-constr", "ecology"
REVEALED = "caller_phone_revealed"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _dispatch(incident: Incident, office, *, cooperating: tuple[str, ...] = (COOPERATING,)):
    actions.do_dispatch_incident(
        actor=office,
        incident=incident,
        incident_class="linked_disposal",
        level=2,
        category=Category.objects.get(code="heating-leak"),
        primary_unit=unit(PRIMARY),
        cooperating_units=[unit(c) for c in cooperating],
    )
    incident.refresh_from_db()
    return incident


def _city_incident(incident_id: str) -> Incident:
    """An incident from the city, its request (parsed and raw) naming the caller."""
    now = clock.now()
    payload = {"incident_id": incident_id, "caller_name": NAME, "caller_phone": PHONE}
    incident, _ = actions.do_receive_city_incident(
        incident_id=incident_id,
        received_at=now,
        transferred_at=now,
        caller_phone=PHONE,
        caller_name=NAME,
        address="于洪区陵西街道怒江北街188号",
        content="楼道供热管线漏水，热水外流。",
        police_dispatched=True,
        raw_request=payload,
        raw_body=json.dumps(payload, ensure_ascii=False),
        content_hash=incident_id,
    )
    return incident


@pytest.fixture
def shared(db, frozen_at):
    """A city incident sent to PRIMARY (primary) and COOPERATING (cooperating)."""
    frozen_at("2026-11-30T09:00:00+08:00")
    office = office_user()
    return _dispatch(_city_incident("SY2026113000001"), office)


def _people() -> dict[str, object]:
    return {
        "dispatcher": office_user(Role.DISPATCHER),
        "supervisor": office_user(Role.SUPERVISOR),
        "primary officer": unit_user(PRIMARY),
        "primary leader": unit_user(PRIMARY, Role.UNIT_LEADER),
        "cooperating officer": unit_user(COOPERATING),
        "cooperating leader": unit_user(COOPERATING, Role.UNIT_LEADER),
        "leadership": UserFactory(role=Role.LEADERSHIP),
        "admin": UserFactory(role=Role.ADMIN),
    }


MAY_REVEAL = {"dispatcher", "supervisor", "primary officer", "primary leader"}


def _reveals(incident: Incident) -> int:
    return Event.objects.filter(incident=incident, kind=REVEALED).count()


# --- the API: masked by default ------------------------------------------------------------------


def test_every_role_reads_the_caller_masked_in_the_api_list_and_detail(shared):
    for who, user in _people().items():
        api = _client(user)
        listed = api.get("/api/v1/incidents")
        detail = api.get(f"/api/v1/incidents/{shared.incident_id}")
        assert listed.status_code == detail.status_code == 200, who
        for response in (listed, detail):
            body = response.content.decode()
            assert PHONE not in body and NAME not in body, who  # raw_request included
        row = next(i for i in listed.json()["items"] if i["incident_id"] == shared.incident_id)
        assert (row["caller_phone"], row["caller_name"]) == (MASKED_PHONE, MASKED_NAME), who
        assert detail.json()["caller_phone"] == MASKED_PHONE, who
        assert detail.json()["may_reveal_caller"] is (who in MAY_REVEAL), who
    assert _reveals(shared) == 0, "reading masked values is no reveal"


def test_the_office_reads_the_citys_request_with_the_caller_masked(shared):
    raw = _client(office_user()).get(f"/api/v1/incidents/{shared.incident_id}").json()
    assert raw["raw_request"]["caller_phone"] == MASKED_PHONE
    assert raw["raw_request"]["incident_id"] == shared.incident_id  # the rest as it arrived


# --- the API: the reveal -------------------------------------------------------------------------


def test_only_the_office_and_the_primary_unit_may_reveal_and_each_reveal_is_one_event(shared):
    url = f"/api/v1/incidents/{shared.incident_id}/caller/reveal"
    for who, user in _people().items():
        before = _reveals(shared)
        response = _client(user).post(url, "{}", content_type="application/json")
        if who in MAY_REVEAL:
            assert response.status_code == 200, (who, response.content)
            assert response.json() == {
                "incident_id": shared.incident_id,
                "caller_name": NAME,
                "caller_phone": PHONE,
            }
            assert _reveals(shared) == before + 1, who
            event = Event.objects.filter(incident=shared, kind=REVEALED).latest("id")
            assert (event.actor, event.data) == (user, {"via": "api"}), who
        else:
            assert response.status_code == 403, (who, response.content)
            assert PHONE not in response.content.decode(), who
            assert _reveals(shared) == before, f"{who}: a refused reveal records nothing"


def test_a_unit_that_does_not_hold_the_incident_gets_404_for_the_reveal(shared):
    response = _client(unit_user(OUTSIDER)).post(
        f"/api/v1/incidents/{shared.incident_id}/caller/reveal", "{}", "application/json"
    )
    assert response.status_code == 404
    assert _reveals(shared) == 0


def test_a_unit_whose_primary_instruction_was_reassigned_may_no_longer_reveal(shared):
    office = office_user()
    inst = instruction_of(shared, PRIMARY)
    request = actions.do_request_return(
        actor=unit_user(PRIMARY), instruction=inst, reason="非本单位职责"
    )
    actions.do_decide_return_request(
        actor=office, request=request, reassign_to=unit(OUTSIDER), note="改派"
    )
    url = f"/api/v1/incidents/{shared.incident_id}/caller/reveal"

    old = _client(unit_user(PRIMARY)).post(url, "{}", "application/json")
    new = _client(unit_user(OUTSIDER)).post(url, "{}", "application/json")

    assert old.status_code == 403
    assert new.status_code == 200 and new.json()["caller_phone"] == PHONE
    assert _reveals(shared) == 1


# --- the screens ---------------------------------------------------------------------------------


def test_the_cooperating_units_page_has_no_phone_link_and_no_reveal(shared):
    inst = instruction_of(shared, COOPERATING)
    for role in (Role.DUTY_OFFICER, Role.UNIT_LEADER):
        client = _client(unit_user(COOPERATING, role))
        page = client.get(f"/unit/instructions/{inst.pk}/").content.decode()
        assert PHONE not in page and NAME not in page
        assert "tel:" not in page and "data-reveal" not in page
        assert MASKED_PHONE in page
        refused = client.post(f"/console/incidents/{shared.incident_id}/reveal-phone")
        assert refused.status_code == 403
    assert _reveals(shared) == 0


def test_the_primary_unit_reveals_on_its_page_and_the_reveal_is_on_record(shared):
    inst = instruction_of(shared, PRIMARY)
    client = _client(unit_user(PRIMARY))
    page = client.get(f"/unit/instructions/{inst.pk}/").content.decode()
    assert PHONE not in page and NAME not in page and "tel:" not in page
    assert "data-reveal" in page and MASKED_PHONE in page

    revealed = client.post(f"/console/incidents/{shared.incident_id}/reveal-phone")

    assert revealed.status_code == 200
    assert revealed.json() == {"caller_phone": PHONE, "caller_name": NAME}
    assert _reveals(shared) == 1


@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.ADMIN])
def test_leadership_and_administrators_see_the_incident_page_masked_without_a_reveal(shared, role):
    client = _client(UserFactory(role=role))
    page = client.get(f"/console/incidents/{shared.incident_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert PHONE not in html and NAME not in html and "data-reveal" not in html
    assert MASKED_PHONE in html and MASKED_NAME in html
    assert client.post(f"/console/incidents/{shared.incident_id}/reveal-phone").status_code == 403
    assert _reveals(shared) == 0


def test_the_admin_site_shows_the_caller_masked_and_cannot_search_by_phone(shared):
    client = _client(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    page = client.get(f"/admin/incidents/incident/{shared.pk}/change/")
    found = client.get("/admin/incidents/incident/", {"q": PHONE})
    assert page.status_code == found.status_code == 200
    html = page.content.decode()
    assert PHONE not in html and NAME not in html and MASKED_PHONE in html
    assert shared.incident_id not in found.content.decode()


def test_the_dispatchers_page_is_masked_until_the_reveal(shared):
    client = _client(office_user())
    html = client.get(f"/console/incidents/{shared.incident_id}/").content.decode()
    assert PHONE not in html and NAME not in html and "data-reveal" in html
    assert client.post(f"/console/incidents/{shared.incident_id}/reveal-phone").status_code == 200
    assert _reveals(shared) == 1


# --- the exports ---------------------------------------------------------------------------------


def _cells(response) -> str:
    assert response.status_code == 200, response.content[:200]
    book = load_workbook(io.BytesIO(response.content))
    return " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_no_export_carries_the_callers_full_number(shared):
    office = _client(office_user())
    exports = {
        "search by phone": office.get("/console/incidents/", {"phone": PHONE, "format": "xlsx"}),
        "search": office.get("/console/incidents/", {"format": "xlsx"}),
        "board": office.get("/console/", {"format": "xlsx"}),
        "decisions": office.get("/console/decisions/", {"format": "xlsx"}),
        "statistics": office.get("/api/v1/stats/xlsx", {"by": "unit"}),
    }
    for name, response in exports.items():
        cells = _cells(response)
        assert PHONE not in cells and NAME not in cells, name
    assert shared.incident_id in _cells(
        office.get("/console/incidents/", {"phone": PHONE, "format": "xlsx"})
    ), "control: the phone search found the incident"


def test_the_leadership_cannot_search_by_the_callers_number(shared):
    leadership = UserFactory(role=Role.LEADERSHIP)
    page = _client(leadership).get("/console/incidents/", {"phone": PHONE}).content.decode()
    assert 'name="phone"' not in page
    assert not Event.objects.filter(kind=REVEALED, actor=leadership).exists()


# --- anonymisation after the retention period ---------------------------------------------------

OLD = "2025-01-06T09:00:00+08:00"
RECENT = "2026-02-20T09:00:00+08:00"
NOW = datetime.fromisoformat("2026-03-01T09:00:00+08:00")


def _close(incident: Incident, office, note: str = "") -> None:
    officer = unit_user(PRIMARY)
    actions.do_sign_instruction(actor=officer, instruction=instruction_of(incident, PRIMARY))
    actions.do_record_caller_contact(
        actor=officer, instruction=instruction_of(incident, PRIMARY), reached=True, note=note
    )
    actions.do_report_result(
        actor=officer,
        instruction=instruction_of(incident, PRIMARY),
        outcome="resolved",
        text="已修复",
    )
    actions.do_accept_result(actor=office, instruction=instruction_of(incident, PRIMARY))
    actions.do_close_incident(actor=office, incident=incident, outcome="已处置")


@pytest.fixture
def history(db, frozen_at):
    """Old: a city incident closed, one withdrawn, one returned to the city, one still open;
    recent: one closed last week."""
    frozen_at(OLD)
    office = office_user()
    closed = _dispatch(_city_incident("SY2025010600001"), office, cooperating=())
    actions.do_supplement_incident(incident=closed, text=f"报警人{NAME}补充：请回电{PHONE}")
    _close(closed, office, note=f"已拨打{PHONE}联系")
    withdrawn = _dispatch(new_incident(by=office, caller_phone=PHONE, caller_name=NAME), office)
    actions.do_withdraw_incident(
        actor=office, incident=withdrawn, reason="报警人取消", by_city=False
    )
    returned = new_incident(by=office, caller_phone=PHONE, caller_name=NAME)
    actions.do_return_to_city(actor=office, incident=returned, reason="非本区事项")
    still_open = _dispatch(new_incident(by=office, caller_phone=PHONE, caller_name=NAME), office)
    frozen_at(RECENT)
    recent = _dispatch(
        new_incident(by=office, caller_phone=PHONE, caller_name=NAME), office, cooperating=()
    )
    _close(recent, office)
    return {
        "closed": closed,
        "withdrawn": withdrawn,
        "returned": returned,
        "open": still_open,
        "recent": recent,
    }


def _figures() -> list[dict]:
    start = datetime.fromisoformat("2025-01-01T00:00:00+08:00")
    return [
        statistics(start=start, end=NOW, by=by, now=NOW)
        for by in ("unit", "tier", "level", "category", "street")
    ]


def test_anonymisation_removes_the_caller_of_old_finished_incidents_only_and_keeps_the_figures(
    history,
):
    figures = _figures()
    stats_api = _client(UserFactory(role=Role.LEADERSHIP)).get(
        "/api/v1/stats", {"by": "unit", "from": "2025-01-01", "to": "2026-03-01"}
    )

    done = actions.do_anonymise_closed_incidents(now=NOW, older_than_days=365)

    assert done == 3
    for name in ("closed", "withdrawn", "returned"):
        incident = Incident.objects.get(pk=history[name].pk)
        assert (incident.caller_phone, incident.caller_name) == ("", ""), name
        assert incident.anonymised_at == NOW, name
        assert PHONE not in json.dumps(incident.raw_request, ensure_ascii=False), name
        assert NAME not in json.dumps(incident.raw_request, ensure_ascii=False), name
        assert PHONE not in incident.raw_body and NAME not in incident.raw_body, name
        assert Event.objects.filter(incident=incident, kind="anonymised").count() == 1, name
        texts = Notification.objects.filter(incident=incident).values_list("text", flat=True)
        assert all(PHONE not in t for t in texts), name
    closed = Incident.objects.get(pk=history["closed"].pk)
    assert closed.raw_request["incident_id"] == "SY2025010600001"  # the rest is kept
    contacts = instruction_of(closed, PRIMARY).caller_contacts.values_list("note", flat=True)
    assert all(PHONE not in note for note in contacts)
    assert closed.category.code == "heating-leak" and closed.closed_at is not None
    for name in ("open", "recent"):
        incident = Incident.objects.get(pk=history[name].pk)
        assert (incident.caller_phone, incident.caller_name) == (PHONE, NAME), name
        assert incident.anonymised_at is None, name

    assert _figures() == figures, "the statistics survive anonymisation"
    again = _client(UserFactory(role=Role.LEADERSHIP)).get(
        "/api/v1/stats", {"by": "unit", "from": "2025-01-01", "to": "2026-03-01"}
    )
    assert again.json() == stats_api.json()
    assert actions.do_anonymise_closed_incidents(now=NOW, older_than_days=365) == 0


def test_an_anonymised_incident_has_nothing_left_to_reveal(history):
    actions.do_anonymise_closed_incidents(now=NOW, older_than_days=365)
    closed = history["closed"]
    office = _client(office_user())
    detail = office.get(f"/api/v1/incidents/{closed.incident_id}").json()
    assert detail["anonymised_at"] and detail["may_reveal_caller"] is False
    response = office.post(
        f"/api/v1/incidents/{closed.incident_id}/caller/reveal", "{}", "application/json"
    )
    assert response.status_code == 403
    assert "已匿名化" in office.get(f"/console/incidents/{closed.incident_id}/").content.decode()


def test_zero_days_means_never_and_the_dry_run_changes_nothing(history):
    assert actions.do_anonymise_closed_incidents(now=NOW, older_than_days=0) == 0
    out = io.StringIO()
    call_command("anonymise", "--days", "365", "--dry-run", stdout=out)
    assert "3" in out.getvalue()
    assert not Incident.objects.filter(anonymised_at__isnull=False).exists()


def test_the_worker_and_the_command_anonymise_after_the_configured_period(
    history, settings, monkeypatch, frozen_at
):
    from liandong.worker import loop

    frozen_at(NOW)
    settings.LIANDONG_ANONYMISE_AFTER_DAYS = 0
    monkeypatch.setattr(loop, "_next_anonymise", 0.0)
    assert loop.anonymise_old_incidents() == 0  # 0: never
    settings.LIANDONG_ANONYMISE_AFTER_DAYS = 400
    monkeypatch.setattr(loop, "_next_anonymise", 0.0)
    assert loop.anonymise_old_incidents() == 3  # closed on 2025-01-06: 419 days ago
    out = io.StringIO()
    call_command("anonymise", "--days", "1", stdout=out)
    assert "已匿名化 1 起" in out.getvalue()  # the recent one, closed 9 days ago
    assert Incident.objects.filter(anonymised_at__isnull=True).count() == 1  # the open one

"""Repeat calls (重复来电): the open incidents a new one may repeat, offered to the office with the
reason and the similarity, on the incident page with the merge action's form and in the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role
from liandong.incidents.events import EventKind
from liandong.incidents.models import Event, Incident
from liandong.incidents.repeat_selectors import repeat_candidates, repeat_candidates_for
from tests.api.transitions.support import incident_in
from tests.factories import Api, UserFactory, dispatched, new_incident, office_user, unit_user

START = "2026-12-01T09:00:00+08:00"
PHONE = "13940012345"
LEAK = "报警人称小区楼道内供热管线漏水，热水流到一楼，地面积水。"
LEAK_AGAIN = "来电反映：楼道暖气管道漏水，一楼地面全是水！"
NOISE = "楼上装修噪音扰民，晚上十点还在施工"
ESTATE = "于洪区丁香湖北路12号翠湖湾小区5号楼3单元"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids(candidates) -> list[str]:
    return [c.incident.incident_id for c in candidates]


@pytest.fixture
def at_start(db, frozen_at):
    frozen_at(START)


def test_the_same_number_within_the_window_is_offered_with_the_reason(at_start):
    first = new_incident(caller_phone=PHONE, content=NOISE, address="昆山西路75号")
    clock.advance(timedelta(hours=2))
    again = new_incident(caller_phone="139 4001 2345", content="垃圾没人清运", address="迎宾路12号")

    found = repeat_candidates(again)

    assert _ids(found) == [first.incident_id]
    assert found[0].reason == "同一来电号码，2小时内"
    assert 0.5 <= found[0].similarity <= 1.0


def test_the_same_number_outside_the_window_is_not_offered(at_start, settings):
    settings.LIANDONG_REPEAT_WINDOW_HOURS = 24
    first = new_incident(caller_phone=PHONE, content=LEAK, address=ESTATE)
    clock.advance(timedelta(hours=25))
    again = new_incident(caller_phone=PHONE, content=LEAK, address=ESTATE)
    assert repeat_candidates(again) == []

    settings.LIANDONG_REPEAT_WINDOW_HOURS = 48  # the window is the installation's choice
    assert _ids(repeat_candidates(again)) == [first.incident_id]


@pytest.mark.parametrize("final", ["closed", "returned", "withdrawn", "merged"])
def test_a_finished_incident_is_not_offered(at_start, final):
    finished = incident_in(final).incident  # the factory's number, address and text
    again = new_incident(caller_phone=finished.caller_phone, content=finished.content)
    assert finished.incident_id not in _ids(repeat_candidates(again))


def test_a_dispatched_incident_is_offered(at_start):
    working = dispatched()
    again = new_incident()  # the same number, address and text as the factory's
    found = repeat_candidates(again)
    assert working.incident_id in _ids(found)
    assert found[0].similarity == 1.0
    assert found[0].reason.startswith("同一来电号码，1分钟内；地点相近（同为“怒江北街188号”）")


def test_a_similar_description_near_the_same_place_is_offered_with_the_similarity(at_start):
    first = new_incident(caller_phone="13900000001", content=LEAK, address=ESTATE)
    clock.advance(timedelta(minutes=40))
    again = new_incident(caller_phone="13900000002", content=LEAK_AGAIN, address="翠湖湾小区五号楼")

    found = repeat_candidates(again)

    assert _ids(found) == [first.incident_id]
    assert re.fullmatch(r"地点相近（同为“翠湖湾小区5号楼”），描述相似度0\.\d\d", found[0].reason)
    assert 0.6 < found[0].similarity < 1.0
    assert "13900000001" not in found[0].reason


def test_a_dissimilar_call_is_not_offered(at_start):
    new_incident(caller_phone="13900000001", content=LEAK, address=ESTATE)  # another matter
    new_incident(caller_phone="13900000003", content=LEAK_AGAIN, address="昆山西路75号")
    again = new_incident(caller_phone="13900000002", content=NOISE, address="翠湖湾小区5号楼")
    assert repeat_candidates(again) == []


def test_candidates_are_found_for_a_text_that_is_not_yet_an_incident(at_start):
    first = new_incident(caller_phone="13900000001", content=LEAK, address=ESTATE)
    near = new_incident(caller_phone=PHONE, content=NOISE, address="昆山西路75号")
    found = repeat_candidates_for(
        content=LEAK_AGAIN,
        address="翠湖湾小区5号楼",
        caller_phone=PHONE,
        received_at=clock.now(),
    )
    # the same place and matter ranks above the same number about something else
    assert _ids(found) == [first.incident_id, near.incident_id]
    assert found[0].similarity > found[1].similarity
    assert repeat_candidates_for(
        content=LEAK_AGAIN,
        address="翠湖湾小区5号楼",
        caller_phone=PHONE,
        received_at=clock.now(),
        exclude_id=first.pk,
        limit=1,
    ) == [found[1]]


def _repeat_section(html: str) -> str:
    found = re.search(r'<section class="card" id="repeat-candidates">(.*?)</section>', html, re.S)
    assert found, "no 疑似重复警情 section"
    return found.group(1)


def test_the_dispatchers_page_offers_each_candidate_with_the_merge_form_and_merging_works(
    at_start,
):
    dispatcher = office_user()
    first = new_incident(by=dispatcher, caller_phone=PHONE, content=LEAK, address=ESTATE)
    clock.advance(timedelta(minutes=30))
    again = new_incident(by=dispatcher, caller_phone=PHONE, content=LEAK_AGAIN, address=ESTATE)
    client = _client(dispatcher)

    html = client.get(f"/console/incidents/{again.incident_id}/").content.decode()

    section = _repeat_section(html)
    assert "疑似重复警情" in section and first.incident_id in section
    assert "同一来电号码，30分钟内；地点相近（同为“丁香湖北路12号翠湖湾小区5号楼3单元”）" in section
    assert re.search(r"<td>\d{2,3}%</td>", section)
    assert PHONE not in html  # neither in the reason nor anywhere else on the page
    action = re.search(r'<form method="post" action="([^"]+/merge)"', section).group(1)
    into = re.search(r'name="into" value="([^"]+)"', section).group(1)
    assert (action, into) == (f"/console/incidents/{again.incident_id}/merge", first.incident_id)

    response = client.post(action, {"into": into})

    assert response.status_code == 302
    again.refresh_from_db()
    first.refresh_from_db()
    assert again.status == "merged" and again.merged_into == first
    assert first.repeat_calls == 1
    assert Event.objects.filter(incident=again, kind=EventKind.MERGED).count() == 1
    assert Event.objects.filter(incident=first, kind=EventKind.REPEAT_CALL).count() == 1
    # merged, it is no longer in triage: no section, and it is no one's candidate any more
    html = client.get(f"/console/incidents/{again.incident_id}/").content.decode()
    assert 'id="repeat-candidates"' not in html
    assert _ids(repeat_candidates(new_incident(caller_phone=PHONE, content=LEAK))) == [
        first.incident_id
    ]


def test_the_section_says_so_when_nothing_is_similar(at_start):
    dispatcher = office_user()
    alone = new_incident(by=dispatcher, caller_phone=PHONE, content=NOISE, address="昆山西路75号")
    html = _client(dispatcher).get(f"/console/incidents/{alone.incident_id}/").content.decode()
    assert "未发现疑似重复警情" in _repeat_section(html)


def test_no_section_once_dispatched_for_leadership_or_for_units(at_start):
    new_incident(caller_phone=PHONE, content=LEAK, address=ESTATE)
    waiting = new_incident(caller_phone=PHONE, content=LEAK, address=ESTATE)
    working = dispatched()
    leadership = _client(UserFactory(role=Role.LEADERSHIP))
    page = leadership.get(f"/console/incidents/{waiting.incident_id}/")
    assert page.status_code == 200 and "疑似重复警情" not in page.content.decode()
    dispatcher = _client(office_user())
    assert (
        "疑似重复警情"
        not in dispatcher.get(f"/console/incidents/{working.incident_id}/").content.decode()
    )
    unit = _client(unit_user("housing"))
    assert unit.get(f"/console/incidents/{waiting.incident_id}/").status_code in (302, 403, 404)
    instruction = working.instructions.get(unit__code="housing")
    page = unit.get(f"/unit/instructions/{instruction.pk}/")
    assert page.status_code == 200 and "疑似重复警情" not in page.content.decode()


def test_the_api_detail_lists_candidates_for_the_office_in_triage_only(at_start):
    first = new_incident(caller_phone=PHONE, content=LEAK, address=ESTATE)
    clock.advance(timedelta(hours=1))
    again = new_incident(caller_phone=PHONE, content=LEAK_AGAIN, address="翠湖湾小区5号楼")

    body = Api(office_user()).get(f"/incidents/{again.incident_id}").json()

    assert body["repeat_candidates"] == [
        {
            "incident_id": first.incident_id,
            "received_at": clock.iso(first.received_at),
            "reason": body["repeat_candidates"][0]["reason"],
            "similarity": body["repeat_candidates"][0]["similarity"],
        }
    ]
    assert body["repeat_candidates"][0]["reason"].startswith("同一来电号码，1小时内；地点相近")
    assert 0.5 < body["repeat_candidates"][0]["similarity"] <= 1.0
    leadership = Api(UserFactory(role=Role.LEADERSHIP)).get(f"/incidents/{again.incident_id}")
    assert leadership.status_code == 200 and leadership.json()["repeat_candidates"] is None
    working = dispatched()
    assert (
        Api(office_user()).get(f"/incidents/{working.incident_id}").json()["repeat_candidates"]
        is None
    )
    unit = Api(unit_user("housing")).get(f"/incidents/{working.incident_id}")
    assert unit.status_code == 200 and unit.json()["repeat_candidates"] is None
    assert Incident.objects.filter(incident_id=again.incident_id, status="new").exists()

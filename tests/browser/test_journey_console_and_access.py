"""End-to-end journeys through the screens, as the people do them: the dispatcher at a desk, the
units' duty officers and leaders on their phones. After each step the test checks what the page
says (in Chinese) and what the database holds.

Here: a city incident appears on the open console; a unit sees only its own work; logging in.
"""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

from tests.browser.conftest import PASSWORD, Site, has_class
from tests.browser.journeys import expect
from tests.factories import dispatched, instruction_of

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

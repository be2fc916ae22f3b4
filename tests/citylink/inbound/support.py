"""Helpers for the inbound tests (city → district over HTTP, /api/city/v1/): the contract's error
body, incidents received and taken further through the real actions, messages, and a count of
what a refused request must not have stored."""

from __future__ import annotations

from typing import Any

from liandong import clock
from liandong.citylink.models import InboundMessage
from liandong.incidents import actions
from liandong.incidents.models import Event, Incident, Notification, Urge
from liandong.units.models import Category, Unit
from tests.citylink.conftest import City, incident_payload
from tests.factories import instruction_of, office_user, unit_user

MAX_BODY = 256 * 1024
AUTH_CODES = {"missing_credentials", "unknown_peer", "bad_signature", "stale_timestamp"}


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error body, exactly: {"error": {"code", "message", "fields": [...]}}."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["fields"], list)
    for entry in error["fields"]:
        assert set(entry) == {"field", "code", "message"}, entry
        assert all(isinstance(v, str) and v for v in entry.values()), entry
    if code is not None:
        assert error["code"] == code, error
    return error


def error_fields(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["fields"]]


def received(city: City, **overrides: Any) -> Incident:
    payload = incident_payload(**overrides)
    response = city.post_incident(payload)
    assert response.status_code == 201, response.content
    return Incident.objects.get(incident_id=payload["incident_id"])


def dispatch(
    incident: Incident,
    *,
    primary: str = "housing",
    cooperating: tuple[str, ...] = ("urban-constr",),
    level: int = 2,
) -> Incident:
    actions.do_dispatch_incident(
        actor=office_user(),
        incident=incident,
        incident_class="linked_disposal" if cooperating else "source_diversion",
        level=level,
        category=Category.objects.get(code="heating-leak"),
        primary_unit=Unit.objects.get(code=primary),
        cooperating_units=[Unit.objects.get(code=c) for c in cooperating],
    )
    incident.refresh_from_db()
    return incident


def close(incident: Incident) -> Incident:
    """Dispatch to one unit and take it all the way to closed, through the real actions."""
    dispatch(incident, cooperating=())
    housing = unit_user("housing")
    instruction = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=housing, instruction=instruction)
    actions.do_record_caller_contact(actor=housing, instruction=instruction, reached=True)
    actions.do_report_result(
        actor=housing, instruction=instruction, outcome="resolved", text="已修复"
    )
    office = office_user()
    actions.do_accept_result(actor=office, instruction=instruction)
    actions.do_close_incident(actor=office, incident=incident, outcome="已修复，报警人认可")
    incident.refresh_from_db()
    assert incident.status == "closed"
    return incident


_msg_seq = iter(range(1, 10**6))


def msg(type_: str = "supplement", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": f"M{next(_msg_seq):06d}",
        "type": type_,
        "sent_at": clock.now().isoformat(timespec="seconds"),
    }
    if type_ != "urge":
        body["text"] = (
            "报警人补充：漏水点在三楼东侧。" if type_ == "supplement" else "报警人已自行处理"
        )
    body.update(overrides)
    return body


def snapshot() -> dict[str, int]:
    return {
        "incidents": Incident.objects.count(),
        "events": Event.objects.count(),
        "notifications": Notification.objects.count(),
        "messages": InboundMessage.objects.count(),
        "urges": Urge.objects.count(),
    }


def raw_request(city: City, body: bytes, **kw: Any) -> Any:
    return city.request("POST", "/incidents", body, **kw)

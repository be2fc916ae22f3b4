"""Unit isolation and role rules on every endpoint of /api/v1.

"A unit user belongs to one unit and sees only what was sent to that unit." Something a user may
not see is answered 404 (exactly as if it did not exist), something a user may see but not do is
answered 403, and a refused request changes nothing.

The table ENDPOINTS below has one entry per operation of the API. A test compares it with the
OpenAPI document, so a new endpoint fails the suite until it is added here; every entry whose path
names an incident, an instruction, a request or an attachment is then automatically checked for
isolation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liandong.accounts.models import User
from liandong.incidents.models import Event, Incident
from tests.api.isolation.world import PNG, PREFIX, A, Ids

# --- one case per operation --------------------------------------------------------------------

READ = "read"  # anyone who may see the thing
OFFICE_READ = "office_read"  # a read for the office's work (triage proposal): not for units,
# but district leadership and administrators read everything
UNIT = "unit"  # the unit that holds the instruction (duty officer or leader)
LEADER = "leader"  # the leader of the unit that holds the instruction
OFFICE = "office"  # dispatchers and supervisors
SUPERVISOR = "supervisor"  # the office's supervisors only (督办)
ADMIN = "admin"  # system administrators only
SELF = "self"  # anyone signed in, on their own things only (their bell's read marks)
CALLER = "caller"  # the caller's full name and phone: the office (dispatchers, supervisors) and
# the unit holding the primary instruction, who call the caller; not a cooperating unit, not the
# district leadership, not administrators (each reveal is an event)

ACTING_KINDS = (UNIT, LEADER, OFFICE, SUPERVISOR, ADMIN, CALLER)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    upload: bool = False
    form: dict[str, Any] | None = None  # a multipart form (fields and a PDF scan as "document")


@dataclass(frozen=True)
class Case:
    kind: str
    build: Callable[[Ids], Call]


def _incident(path: str, body: dict[str, Any] | None = None, **query: Any) -> Callable[[Ids], Call]:
    method = "GET" if body is None else "POST"
    return lambda i: Call(method, f"/incidents/{i.incident}{path}", body, query)


def _instruction(path: str, body: dict[str, Any] | None = None) -> Callable[[Ids], Call]:
    method = "GET" if body is None else "POST"
    return lambda i: Call(method, f"/instructions/{i.instruction}{path}", body)


FAR_FUTURE = "2099-12-31T17:00:00+08:00"

ENDPOINTS: dict[tuple[str, str], Case] = {
    # me and reference data
    ("GET", "/me"): Case(READ, lambda i: Call("GET", "/me")),
    ("GET", "/notifications"): Case(READ, lambda i: Call("GET", "/notifications")),
    ("GET", "/notifications/unread-count"): Case(
        READ, lambda i: Call("GET", "/notifications/unread-count")
    ),
    # marking one's own notifications read: anyone, on their own bell only
    ("POST", "/notifications/read"): Case(
        SELF, lambda i: Call("POST", "/notifications/read", {"ids": None})
    ),
    ("GET", "/units"): Case(READ, lambda i: Call("GET", "/units")),
    ("GET", "/units/{code}/tier-history"): Case(
        READ, lambda i: Call("GET", f"/units/{A}/tier-history")
    ),
    ("POST", "/units/{code}/tier"): Case(
        OFFICE, lambda i: Call("POST", f"/units/{A}/tier", {"tier": 1, "reason": "调整级别"})
    ),
    ("GET", "/catalogue"): Case(READ, lambda i: Call("GET", "/catalogue")),
    ("GET", "/calendar"): Case(READ, lambda i: Call("GET", "/calendar")),
    ("PUT", "/calendar/{year}"): Case(
        ADMIN,
        lambda i: Call("PUT", "/calendar/2031", {"holidays": ["2031-01-01"], "source": "测试"}),
    ),
    # incidents
    ("GET", "/incidents"): Case(READ, lambda i: Call("GET", "/incidents")),
    ("POST", "/incidents"): Case(
        OFFICE,
        lambda i: Call(
            "POST",
            "/incidents",
            {"caller_phone": "13800000001", "address": "于洪区北陵街道", "content": "路灯不亮"},
        ),
    ),
    ("GET", "/incidents/{incident_id}"): Case(READ, _incident("")),
    ("GET", "/incidents/{incident_id}/timeline"): Case(READ, _incident("/timeline")),
    ("POST", "/incidents/{incident_id}/caller/reveal"): Case(
        CALLER, _incident("/caller/reveal", {})
    ),
    ("GET", "/incidents/{incident_id}/proposal"): Case(
        OFFICE_READ, _incident("/proposal", category="heating-leak")
    ),
    ("GET", "/incidents/{incident_id}/triage"): Case(OFFICE_READ, _incident("/triage")),
    ("POST", "/triage/propose"): Case(
        OFFICE_READ,
        lambda i: Call(
            "POST",
            "/triage/propose",
            {"content": "楼道暖气管漏水，热水流了一地", "address": "于洪区陵西街道"},
        ),
    ),
    ("POST", "/incidents/{incident_id}/dispatch"): Case(
        OFFICE,
        _incident(
            "/dispatch",
            {
                "incident_class": "linked_disposal",
                "level": 2,
                "category": "heating-leak",
                "primary_unit": A,
                "cooperating_units": [],
            },
        ),
    ),
    ("POST", "/incidents/{incident_id}/return-to-city"): Case(
        OFFICE, _incident("/return-to-city", {"reason": "非本区事项"})
    ),
    ("POST", "/incidents/{incident_id}/merge"): Case(
        OFFICE, lambda i: Call("POST", f"/incidents/{i.incident}/merge", {"into": i.other_incident})
    ),
    ("POST", "/incidents/{incident_id}/units"): Case(
        OFFICE, _incident("/units", {"units": ["city-mgmt"], "reason": "需要城管"})
    ),
    ("POST", "/incidents/{incident_id}/close"): Case(
        OFFICE, _incident("/close", {"outcome": "已处置完毕"})
    ),
    ("POST", "/incidents/{incident_id}/callbacks"): Case(
        OFFICE, _incident("/callbacks", {"satisfaction": "satisfied", "note": "满意"})
    ),
    ("POST", "/incidents/{incident_id}/withdraw"): Case(
        OFFICE, _incident("/withdraw", {"reason": "报警人取消"})
    ),
    # the office's outbox of reports to the city: office-only as a whole (units get 403)
    ("GET", "/city-reports/backlog"): Case(
        OFFICE_READ, lambda i: Call("GET", "/city-reports/backlog")
    ),
    ("GET", "/city-reports"): Case(OFFICE_READ, lambda i: Call("GET", "/city-reports")),
    ("POST", "/city-reports/{report_pk}/resend"): Case(
        OFFICE, lambda i: Call("POST", "/city-reports/999999/resend", {})
    ),
    # instructions
    ("GET", "/instructions"): Case(READ, lambda i: Call("GET", "/instructions")),
    ("GET", "/instructions/{instruction_id}"): Case(READ, _instruction("")),
    ("POST", "/instructions/{instruction_id}/sign"): Case(UNIT, _instruction("/sign", {})),
    ("POST", "/instructions/{instruction_id}/caller-contacts"): Case(
        UNIT, _instruction("/caller-contacts", {"reached": True, "note": "已联系"})
    ),
    ("POST", "/instructions/{instruction_id}/feedback"): Case(
        UNIT, _instruction("/feedback", {"text": "已到场"})
    ),
    ("POST", "/instructions/{instruction_id}/result"): Case(
        UNIT, _instruction("/result", {"outcome": "resolved", "text": "已修复"})
    ),
    ("POST", "/instructions/{instruction_id}/attachments"): Case(
        UNIT, lambda i: Call("POST", f"/instructions/{i.instruction}/attachments", upload=True)
    ),
    ("GET", "/instructions/{instruction_id}/attachments/{attachment_id}"): Case(
        READ, lambda i: Call("GET", f"/instructions/{i.instruction}/attachments/{i.attachment}")
    ),
    ("POST", "/instructions/{instruction_id}/return"): Case(
        UNIT, _instruction("/return", {"reason": "非本单位职责"})
    ),
    ("POST", "/instructions/{instruction_id}/join-requests"): Case(
        UNIT, _instruction("/join-requests", {"units": ["city-mgmt"], "reason": "需要城管"})
    ),
    ("POST", "/instructions/{instruction_id}/extension-requests"): Case(
        UNIT,
        _instruction(
            "/extension-requests",
            {"progress": "进行中", "reason": "需要时间", "proposed_due_at": FAR_FUTURE},
        ),
    ),
    ("POST", "/instructions/{instruction_id}/urge"): Case(
        OFFICE, _instruction("/urge", {"note": "请加快"})
    ),
    ("POST", "/instructions/{instruction_id}/reassign"): Case(
        OFFICE, _instruction("/reassign", {"unit": "city-mgmt", "reason": "职责不符"})
    ),
    ("POST", "/instructions/{instruction_id}/cancel"): Case(
        OFFICE, _instruction("/cancel", {"reason": "无需该单位参与"})
    ),
    ("POST", "/instructions/{instruction_id}/accept-result"): Case(
        OFFICE, _instruction("/accept-result", {"note": ""})
    ),
    ("POST", "/instructions/{instruction_id}/send-back-result"): Case(
        OFFICE, _instruction("/send-back-result", {"reason": "结果不完整"})
    ),
    # requests waiting for a decision
    ("GET", "/pending"): Case(READ, lambda i: Call("GET", "/pending")),
    ("POST", "/return-requests/{request_id}/decision"): Case(
        OFFICE,
        lambda i: Call(
            "POST",
            f"/return-requests/{i.return_request}/decision",
            {"decision": "insist", "note": "维持原派发"},
        ),
    ),
    ("POST", "/join-requests/{request_id}/decision"): Case(
        OFFICE,
        lambda i: Call("POST", f"/join-requests/{i.join_request}/decision", {"approve": True}),
    ),
    ("POST", "/extension-requests/{request_id}/leader-decision"): Case(
        LEADER,
        lambda i: Call(
            "POST",
            f"/extension-requests/{i.extension_request}/leader-decision",
            {"approve": True, "note": "同意"},
        ),
    ),
    ("POST", "/extension-requests/{request_id}/decision"): Case(
        OFFICE,
        lambda i: Call(
            "POST", f"/extension-requests/{i.extension_request}/decision", {"grant": True}
        ),
    ),
    # supervision orders (督办): the supervisor issues and decides, the unit's leader answers
    ("GET", "/supervision-orders"): Case(READ, lambda i: Call("GET", "/supervision-orders")),
    ("POST", "/supervision-orders"): Case(
        SUPERVISOR,
        lambda i: Call(
            "POST",
            "/supervision-orders",
            {
                "unit": A,
                "instructions": [i.instruction],
                "problems": "签收超时",
                "measures": "立即处置",
                "answer_due_at": FAR_FUTURE,
                "contact": "李督办 024-12345678",
            },
        ),
    ),
    ("GET", "/supervision-orders/{order_id}"): Case(
        READ, lambda i: Call("GET", f"/supervision-orders/{i.order}")
    ),
    ("POST", "/supervision-orders/{order_id}/answer"): Case(
        LEADER,
        lambda i: Call("POST", f"/supervision-orders/{i.order}/answer", form={"text": "已整改"}),
    ),
    ("POST", "/supervision-orders/{order_id}/accept"): Case(
        SUPERVISOR, lambda i: Call("POST", f"/supervision-orders/{i.order}/accept", {"note": ""})
    ),
    ("POST", "/supervision-orders/{order_id}/send-back"): Case(
        SUPERVISOR,
        lambda i: Call("POST", f"/supervision-orders/{i.order}/send-back", {"note": "请补充"}),
    ),
    ("GET", "/supervision-orders/{order_id}/answer-document"): Case(
        READ, lambda i: Call("GET", f"/supervision-orders/{i.order}/answer-document")
    ),
    # statistics: the office and the leadership
    ("GET", "/stats"): Case(OFFICE_READ, lambda i: Call("GET", "/stats", query={"by": "unit"})),
    ("GET", "/stats/overview"): Case(OFFICE_READ, lambda i: Call("GET", "/stats/overview")),
    ("GET", "/stats/xlsx"): Case(
        OFFICE_READ, lambda i: Call("GET", "/stats/xlsx", query={"by": "tier"})
    ),
}

#: Path parameters that name an incident or something inside one: isolation applies.
SCOPED_PARAMS = frozenset(
    {"incident_id", "instruction_id", "request_id", "attachment_id", "order_id"}
)
#: Path parameters that name shared reference data, the same for everyone, or the office's own
#: records (reports to the city), whose endpoints refuse every unit user as a whole (403).
REFERENCE_PARAMS = frozenset({"code", "year", "report_pk"})
#: Path parameters that name something inside one instruction (the cooperating unit may see the
#: incident but not another unit's instruction, its requests or its files).
INSTRUCTION_PARAMS = frozenset({"instruction_id", "request_id", "attachment_id", "order_id"})


def path_params(path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path))


def keys(
    *, kinds: tuple[str, ...] | None = None, params: frozenset[str] | None = None
) -> list[Any]:
    return [
        pytest.param(key, id=f"{key[0]} {key[1]}")
        for key, case in ENDPOINTS.items()
        if (kinds is None or case.kind in kinds)
        and (params is None or path_params(key[1]) & params)
    ]


def send(client: Client, call: Call, **headers: Any) -> Any:
    url = PREFIX + call.path
    if call.method == "GET":
        return client.get(url, call.query, **headers)
    if call.upload:
        photo = SimpleUploadedFile("照片.png", PNG, content_type="image/png")
        return client.post(url, {"file": photo}, **headers)
    if call.form is not None:
        scan = SimpleUploadedFile("回复.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return client.post(url, {**call.form, "document": scan}, **headers)
    return client.generic(
        call.method,
        url,
        json.dumps(call.body or {}),
        content_type="application/json",
        **headers,
    )


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def call(user: User, key: tuple[str, str], ids: Ids) -> Any:
    return send(session(user), ENDPOINTS[key].build(ids))


def incident_events(incident: Incident) -> int:
    return Event.objects.filter(incident=incident).count()


def assert_refused(response: Any, status: int) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"], body


def openapi_operations() -> dict[tuple[str, str], dict[str, Any]]:
    document = Client().get(f"{PREFIX}/openapi.json").json()
    operations = {}
    for path, item in document["paths"].items():
        assert path.startswith(PREFIX), path
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                operations[(method.upper(), path[len(PREFIX) :])] = operation
    return operations

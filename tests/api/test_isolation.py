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
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liandong.accounts.models import Role, User
from liandong.incidents import actions
from liandong.incidents.models import (
    Attachment,
    CallBack,
    CallerContact,
    Deadline,
    Event,
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    Notification,
    ReturnRequest,
    Urge,
)
from liandong.sla.models import HolidayYear
from liandong.units.models import TierChange, Unit
from tests.factories import (
    UserFactory,
    dispatched,
    instruction_of,
    office_user,
    unit,
    unit_user,
)

PREFIX = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# --- the world --------------------------------------------------------------------------------

A, B, C = "housing", "urban-constr", "ecology"


@dataclass(frozen=True)
class Ids:
    """What a request names. The real world's ids, or ids of things that do not exist."""

    incident: str
    instruction: int
    attachment: int
    return_request: int
    join_request: int
    extension_request: int
    other_incident: str


GHOST = Ids(
    incident="GHOST-000000",
    instruction=987_654_321,
    attachment=987_654_322,
    return_request=987_654_323,
    join_request=987_654_324,
    extension_request=987_654_325,
    other_incident="GHOST-000001",
)


@dataclass
class World:
    """Incident 1 is sent to A (housing, primary) and B (urban-constr, cooperating); incident 2 is
    sent to C (ecology) only. A has signed, uploaded a photo, asked for another unit, asked for
    more time (waiting for A's leader) and finally asked to hand the instruction back; B has signed
    and given feedback; C has signed and uploaded a photo."""

    dispatcher: User
    incident: Incident
    other: Incident
    a_inst: Instruction
    b_inst: Instruction
    c_inst: Instruction
    attachment: Attachment
    c_attachment: Attachment
    join: JoinRequest
    extension: ExtensionRequest
    ret: ReturnRequest

    @property
    def ids(self) -> Ids:
        return Ids(
            incident=self.incident.incident_id,
            instruction=self.a_inst.pk,
            attachment=self.attachment.pk,
            return_request=self.ret.pk,
            join_request=self.join.pk,
            extension_request=self.extension.pk,
            other_incident=self.other.incident_id,
        )


def build_world() -> World:
    dispatcher = office_user()
    incident = dispatched(primary=A, cooperating=(B,), by=dispatcher)
    other = dispatched(primary=C, cooperating=(), incident_class="source_diversion", by=dispatcher)
    a_inst = instruction_of(incident, A)
    b_inst = instruction_of(incident, B)
    c_inst = instruction_of(other, C)

    a_officer = unit_user(A)
    actions.do_sign_instruction(actor=a_officer, instruction=a_inst)
    attachment = actions.do_upload_attachment(
        actor=a_officer, instruction=a_inst, name="现场.png", content_type="image/png", data=PNG
    )
    join = actions.do_request_join(
        actor=a_officer, instruction=a_inst, units=[unit("city-mgmt")], reason="需要城管配合"
    )
    result_due = a_inst.deadlines.get(kind="result").due_at
    extension = actions.do_request_extension(
        actor=a_officer,
        instruction=a_inst,
        progress="已排查管线",
        reason="需要更换阀门",
        proposed_due_at=result_due + timedelta(days=5),
    )
    ret = actions.do_request_return(actor=a_officer, instruction=a_inst, reason="非本单位职责")

    b_officer = unit_user(B)
    actions.do_sign_instruction(actor=b_officer, instruction=b_inst)
    actions.do_give_feedback(actor=b_officer, instruction=b_inst, text="协同单位已到场")

    c_officer = unit_user(C)
    actions.do_sign_instruction(actor=c_officer, instruction=c_inst)
    c_attachment = actions.do_upload_attachment(
        actor=c_officer, instruction=c_inst, name="污水.png", content_type="image/png", data=PNG
    )
    for row in (incident, other, a_inst, b_inst, c_inst):
        row.refresh_from_db()
    return World(
        dispatcher=dispatcher,
        incident=incident,
        other=other,
        a_inst=a_inst,
        b_inst=b_inst,
        c_inst=c_inst,
        attachment=attachment,
        c_attachment=c_attachment,
        join=join,
        extension=extension,
        ret=ret,
    )


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def fingerprint() -> dict[str, Any]:
    """Everything a refused request could have changed."""
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Event,
                Notification,
                Attachment,
                CallBack,
                CallerContact,
                Urge,
                Instruction,
                Incident,
                ReturnRequest,
                JoinRequest,
                ExtensionRequest,
                TierChange,
                HolidayYear,
            )
        },
        "incidents": sorted(
            Incident.objects.values_list("pk", "status", "closed_at", "withdrawn_at")
        ),
        "instructions": sorted(Instruction.objects.values_list("pk", "state", "unit_id")),
        "deadlines": sorted(Deadline.objects.values_list("pk", "state", "due_at")),
        "requests": [
            sorted(model.objects.values_list("pk", "state"))
            for model in (ReturnRequest, JoinRequest, ExtensionRequest)
        ],
        "tiers": sorted(Unit.objects.values_list("code", "tier")),
        "calendar": sorted(HolidayYear.objects.values_list("year", "holidays")),
    }


# --- one case per operation --------------------------------------------------------------------

READ = "read"  # anyone who may see the thing
OFFICE_READ = "office_read"  # a read for the office's work (triage proposal): not for units,
# but district leadership and administrators read everything
UNIT = "unit"  # the unit that holds the instruction (duty officer or leader)
LEADER = "leader"  # the leader of the unit that holds the instruction
OFFICE = "office"  # dispatchers and supervisors
ADMIN = "admin"  # system administrators only

ACTING_KINDS = (UNIT, LEADER, OFFICE, ADMIN)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    upload: bool = False


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
    ("GET", "/incidents/{incident_id}/proposal"): Case(
        OFFICE_READ, _incident("/proposal", category="heating-leak")
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
}

#: Path parameters that name an incident or something inside one: isolation applies.
SCOPED_PARAMS = frozenset({"incident_id", "instruction_id", "request_id", "attachment_id"})
#: Path parameters that name shared reference data, the same for everyone, or the office's own
#: records (reports to the city), whose endpoints refuse every unit user as a whole (403).
REFERENCE_PARAMS = frozenset({"code", "year", "report_pk"})
#: Path parameters that name something inside one instruction (the cooperating unit may see the
#: incident but not another unit's instruction, its requests or its files).
INSTRUCTION_PARAMS = frozenset({"instruction_id", "request_id", "attachment_id"})


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


# --- the table matches the API -------------------------------------------------------------------


def openapi_operations() -> dict[tuple[str, str], dict[str, Any]]:
    document = Client().get(f"{PREFIX}/openapi.json").json()
    operations = {}
    for path, item in document["paths"].items():
        assert path.startswith(PREFIX), path
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                operations[(method.upper(), path[len(PREFIX) :])] = operation
    return operations


def test_given_the_openapi_document_when_compared_with_the_case_table_then_every_operation_has_a_case(
    db,
):
    operations = set(openapi_operations())

    missing = sorted(operations - set(ENDPOINTS))
    stale = sorted(set(ENDPOINTS) - operations)

    assert not missing, f"new endpoints without an isolation/role case in ENDPOINTS: {missing}"
    assert not stale, f"cases for endpoints that no longer exist: {stale}"


def test_given_the_openapi_document_when_an_operation_names_an_incident_or_its_parts_then_it_is_isolation_checked(
    db,
):
    operations = openapi_operations()
    scoped = {key for key in operations if path_params(key[1]) & SCOPED_PARAMS}
    isolation_checked = {p.values[0] for p in keys(params=SCOPED_PARAMS)}

    unknown = {
        key: sorted(path_params(key[1]) - SCOPED_PARAMS - REFERENCE_PARAMS)
        for key in operations
        if path_params(key[1]) - SCOPED_PARAMS - REFERENCE_PARAMS
    }

    assert scoped, "the API should have incident-scoped endpoints"
    assert scoped <= isolation_checked, sorted(scoped - isolation_checked)
    assert not unknown, (
        f"path parameters of unknown scope (add to SCOPED_PARAMS or REFERENCE_PARAMS): {unknown}"
    )
    for key, operation in operations.items():
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == path_params(key[1]), key


def test_given_the_case_table_then_every_write_names_who_may_do_it():
    for (method, path), case in ENDPOINTS.items():
        if method == "GET":
            assert case.kind in (READ, OFFICE_READ), (method, path)
        else:
            assert case.kind in ACTING_KINDS, (method, path)


# --- an outsider unit: 404 for everything, nothing changes ------------------------------------------


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(params=SCOPED_PARAMS))
def test_given_an_incident_of_other_units_when_an_outsider_unit_calls_any_endpoint_naming_it_then_404_and_nothing_changes(
    world, key, role
):
    outsider = unit_user(C, role)
    before, events = fingerprint(), incident_events(world.incident)

    hidden = call(outsider, key, world.ids)
    ghost = call(outsider, key, GHOST)

    assert_refused(hidden, 404)
    assert hidden.json() == ghost.json(), "a hidden thing must look exactly like a missing one"
    assert incident_events(world.incident) == events
    assert fingerprint() == before


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(params=INSTRUCTION_PARAMS))
def test_given_a_cooperating_unit_when_it_calls_an_endpoint_naming_the_primary_units_instruction_then_404_and_nothing_changes(
    world, key, role
):
    cooperating = unit_user(B, role)
    before, events = fingerprint(), incident_events(world.incident)

    response = call(cooperating, key, world.ids)

    assert_refused(response, 404)
    assert response.json() == call(cooperating, key, GHOST).json()
    assert incident_events(world.incident) == events
    assert fingerprint() == before


@pytest.mark.parametrize("key", keys(params=SCOPED_PARAMS))
def test_given_the_same_requests_when_the_dispatcher_makes_them_then_they_are_not_refused_as_unknown(
    world, key
):
    """Control: the ids and bodies used above are real, so the outsiders' 404 is the gate's."""
    response = call(world.dispatcher, key, world.ids)

    assert response.status_code not in (401, 404, 422), response.content


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
def test_given_an_incident_of_other_units_when_an_outsider_unit_lists_then_it_is_not_there(
    world, role
):
    api = session(unit_user(C, role))
    hidden = world.incident.incident_id

    incidents = api.get(f"{PREFIX}/incidents").json()
    dispatched_only = api.get(f"{PREFIX}/incidents", {"status": "dispatched"}).json()
    instructions = api.get(f"{PREFIX}/instructions").json()
    filtered = api.get(f"{PREFIX}/instructions", {"unit": A}).json()
    open_only = api.get(f"{PREFIX}/instructions", {"open_only": "true"}).json()
    pending = api.get(f"{PREFIX}/pending").json()
    notifications = api.get(f"{PREFIX}/notifications").json()

    assert [i["incident_id"] for i in incidents["items"]] == [world.other.incident_id]
    assert incidents["count"] == 1
    assert [i["incident_id"] for i in dispatched_only["items"]] == [world.other.incident_id]
    assert [i["id"] for i in instructions["items"]] == [world.c_inst.pk]
    assert instructions["count"] == 1
    assert filtered == {"count": 0, "items": []}
    assert [i["id"] for i in open_only["items"]] == [world.c_inst.pk]
    assert all(not rows for rows in pending.values()), pending
    assert notifications, "C's own dispatch notification should be listed"
    assert {n["incident_id"] for n in notifications} == {world.other.incident_id}
    assert hidden not in json.dumps(
        [incidents, dispatched_only, instructions, open_only, pending, notifications]
    )


# --- the primary and the cooperating unit on one incident ---------------------------------------


def test_given_an_incident_shared_by_two_units_when_the_primary_unit_reads_it_then_it_sees_only_its_own_instruction(
    world,
):
    api = session(unit_user(A))

    detail = api.get(f"{PREFIX}/incidents/{world.incident.incident_id}")

    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert [i["id"] for i in body["instructions"]] == [world.a_inst.pk]
    assert {u["code"] for u in body["units"]} == {A, B}
    assert body["raw_request"] is None


def test_given_an_incident_shared_by_two_units_when_the_primary_unit_reads_the_timeline_then_it_has_no_events_of_the_other_units_instruction(
    world,
):
    office_timeline = session(world.dispatcher).get(
        f"{PREFIX}/incidents/{world.incident.incident_id}/timeline"
    )
    timeline = session(unit_user(A)).get(
        f"{PREFIX}/incidents/{world.incident.incident_id}/timeline"
    )

    assert timeline.status_code == 200, timeline.content
    office_instructions = {e["instruction"] for e in office_timeline.json()}
    assert world.b_inst.pk in office_instructions, "the office sees B's events (control)"
    events = timeline.json()
    assert events, "A sees the incident's own events"
    assert {e["instruction"] for e in events} <= {None, world.a_inst.pk}
    assert {e["unit"] for e in events} <= {None, A}
    assert any(e["instruction"] == world.a_inst.pk for e in events)
    assert any(e["kind"] == "dispatched" for e in events)


def test_given_an_incident_shared_by_two_units_when_the_cooperating_unit_reads_it_then_it_sees_only_its_own_instruction(
    world,
):
    api = session(unit_user(B))

    detail = api.get(f"{PREFIX}/incidents/{world.incident.incident_id}").json()
    timeline = api.get(f"{PREFIX}/incidents/{world.incident.incident_id}/timeline").json()
    instructions = api.get(f"{PREFIX}/instructions").json()
    by_unit = api.get(f"{PREFIX}/instructions", {"unit": A}).json()

    assert [i["id"] for i in detail["instructions"]] == [world.b_inst.pk]
    assert {u["code"] for u in detail["units"]} == {A, B}
    assert {e["instruction"] for e in timeline} <= {None, world.b_inst.pk}
    assert [i["id"] for i in instructions["items"]] == [world.b_inst.pk]
    assert by_unit == {"count": 0, "items": []}


def test_given_an_extension_request_of_the_primary_unit_when_the_leaders_list_pending_then_only_its_own_leader_sees_it(
    world,
):
    own = session(unit_user(A, Role.UNIT_LEADER)).get(f"{PREFIX}/pending").json()
    cooperating = session(unit_user(B, Role.UNIT_LEADER)).get(f"{PREFIX}/pending").json()
    outsider = session(unit_user(C, Role.UNIT_LEADER)).get(f"{PREFIX}/pending").json()

    assert [r["id"] for r in own["extensions_for_leader"]] == [world.extension.pk]
    assert cooperating["extensions_for_leader"] == []
    assert outsider["extensions_for_leader"] == []
    for body in (own, cooperating, outsider):
        assert body.get("returns", []) == []
        assert body.get("joins", []) == []
        assert body.get("extensions", []) == []


def test_given_a_photo_of_another_unit_when_a_unit_names_it_under_its_own_instruction_then_404(
    world,
):
    api = session(unit_user(A))

    response = api.get(
        f"{PREFIX}/instructions/{world.a_inst.pk}/attachments/{world.c_attachment.pk}"
    )
    own = api.get(f"{PREFIX}/instructions/{world.a_inst.pk}/attachments/{world.attachment.pk}")

    assert_refused(response, 404)
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PNG


# --- roles: who may do what on things they can see ----------------------------------------------


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR])
@pytest.mark.parametrize("key", keys(kinds=(UNIT, LEADER, ADMIN)))
def test_given_an_office_user_when_it_takes_a_unit_action_then_403_and_nothing_changes(
    world, key, role
):
    before = fingerprint()

    response = call(office_user(role), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(kinds=(OFFICE, OFFICE_READ, ADMIN)))
def test_given_a_unit_user_when_it_takes_an_office_action_on_its_own_incident_then_403_and_nothing_changes(
    world, key, role
):
    before = fingerprint()

    response = call(unit_user(A, role), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before


@pytest.mark.parametrize("key", keys(kinds=(UNIT, LEADER)))
def test_given_the_units_leader_when_it_takes_a_unit_action_on_its_own_instruction_then_it_is_not_refused(
    world, key
):
    """Control: the unit's own leader passes the gate (the state machine may still say 409)."""
    response = call(unit_user(A, Role.UNIT_LEADER), key, world.ids)

    assert response.status_code not in (401, 403, 404, 422), response.content


def test_given_an_extension_request_when_the_units_duty_officer_decides_it_then_403(world):
    before = fingerprint()

    response = call(
        unit_user(A, Role.DUTY_OFFICER),
        ("POST", "/extension-requests/{request_id}/leader-decision"),
        world.ids,
    )

    assert_refused(response, 403)
    assert fingerprint() == before


@pytest.mark.parametrize("other_unit", [B, C])
def test_given_an_extension_request_when_the_leader_of_another_unit_decides_it_then_404(
    world, other_unit
):
    before = fingerprint()

    response = call(
        unit_user(other_unit, Role.UNIT_LEADER),
        ("POST", "/extension-requests/{request_id}/leader-decision"),
        world.ids,
    )

    assert_refused(response, 404)
    assert fingerprint() == before


def test_given_an_extension_request_when_the_units_own_leader_decides_it_then_it_goes_to_the_office(
    world,
):
    response = call(
        unit_user(A, Role.UNIT_LEADER),
        ("POST", "/extension-requests/{request_id}/leader-decision"),
        world.ids,
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending_office"


@pytest.mark.parametrize("key", keys(kinds=(READ, OFFICE_READ)))
@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.ADMIN])
def test_given_district_leadership_or_an_administrator_when_they_read_anything_then_200(
    world, key, role
):
    response = call(UserFactory(role=role), key, world.ids)

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("key", keys(kinds=ACTING_KINDS))
def test_given_district_leadership_when_it_takes_any_action_then_403_and_nothing_changes(
    world, key
):
    before, events = fingerprint(), incident_events(world.incident)

    response = call(UserFactory(role=Role.LEADERSHIP), key, world.ids)

    assert_refused(response, 403)
    assert incident_events(world.incident) == events
    assert fingerprint() == before


@pytest.mark.parametrize("key", keys(kinds=(UNIT, LEADER, OFFICE), params=SCOPED_PARAMS))
def test_given_an_administrator_when_it_acts_on_an_incident_then_403_and_nothing_changes(
    world, key
):
    before = fingerprint()

    response = call(UserFactory(role=Role.ADMIN), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before


def test_given_a_leadership_user_when_it_reads_an_incident_then_it_sees_every_units_instruction(
    world,
):
    body = (
        session(UserFactory(role=Role.LEADERSHIP))
        .get(f"{PREFIX}/incidents/{world.incident.incident_id}")
        .json()
    )

    assert {i["id"] for i in body["instructions"]} == {world.a_inst.pk, world.b_inst.pk}


# --- ids named in a body --------------------------------------------------------------------------


@pytest.fixture
def working_instruction(world: World) -> tuple[User, Instruction]:
    """A fresh primary instruction of A, signed and with the caller contacted: ready for a result."""
    officer = unit_user(A)
    incident = dispatched(primary=A, cooperating=(), incident_class="source_diversion")
    instruction = instruction_of(incident, A)
    actions.do_sign_instruction(actor=officer, instruction=instruction)
    actions.do_record_caller_contact(actor=officer, instruction=instruction, reached=True)
    return officer, instruction


def test_given_a_photo_of_another_unit_when_a_unit_attaches_it_to_its_result_then_422_and_nothing_changes(
    world, working_instruction
):
    officer, instruction = working_instruction
    before = fingerprint()

    response = session(officer).post(
        f"{PREFIX}/instructions/{instruction.pk}/result",
        json.dumps(
            {"outcome": "resolved", "text": "已修复", "attachment_ids": [world.c_attachment.pk]}
        ),
        content_type="application/json",
    )

    assert_refused(response, 422)
    assert fingerprint() == before
    world.c_attachment.refresh_from_db()
    assert world.c_attachment.instruction_id == world.c_inst.pk


def test_given_a_photo_of_another_unit_when_a_unit_names_it_as_its_extension_document_then_422_and_nothing_changes(
    world, working_instruction
):
    officer, instruction = working_instruction
    before = fingerprint()

    response = session(officer).post(
        f"{PREFIX}/instructions/{instruction.pk}/extension-requests",
        json.dumps(
            {
                "progress": "进行中",
                "reason": "需要时间",
                "proposed_due_at": FAR_FUTURE,
                "document_id": world.c_attachment.pk,
            }
        ),
        content_type="application/json",
    )

    assert_refused(response, 422)
    assert fingerprint() == before
    world.c_attachment.refresh_from_db()
    assert world.c_attachment.instruction_id == world.c_inst.pk
    assert world.c_attachment.purpose == ""

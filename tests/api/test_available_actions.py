"""Every reachable state × every role: what the API offers is exactly what succeeds.

For each scenario (an incident, instruction or request brought into a state through the real
actions), each person (office dispatcher and supervisor, the primary unit's duty officer and
leader, a cooperating unit's duty officer, a foreign unit's duty officer and leader, district
leadership, an administrator) asks the API what they may do, then tries every action through the
API, each from the same starting point (a savepoint rolled back after each try):

- an action offered (`allowed: true`) succeeds (2xx);
- an action not offered is refused (403, 404 or 409) and changes nothing.

So no screen, which renders only offered actions, can show a button that fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.incidents import actions
from liandong.incidents.available import available_actions
from liandong.incidents.models import (
    Deadline,
    Event,
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    ReturnRequest,
)
from tests.factories import UserFactory, dispatched, image_bytes, instruction_of, new_incident, unit

PRIMARY, COOPERATING, FOREIGN, OTHER = "housing", "urban-constr", "ecology", "emergency"
PNG = image_bytes()
REFUSED = {403, 404, 409}

SEATS: dict[str, tuple[str, str | None]] = {
    "dispatcher": (Role.DISPATCHER, None),
    "supervisor": (Role.SUPERVISOR, None),
    "primary_officer": (Role.DUTY_OFFICER, PRIMARY),
    "primary_leader": (Role.UNIT_LEADER, PRIMARY),
    "cooperating_officer": (Role.DUTY_OFFICER, COOPERATING),
    "foreign_officer": (Role.DUTY_OFFICER, FOREIGN),
    "foreign_leader": (Role.UNIT_LEADER, FOREIGN),
    "leadership": (Role.LEADERSHIP, None),
    "admin": (Role.ADMIN, None),
}


@dataclass
class World:
    users: dict[str, User]
    clients: dict[str, Client]

    def post(self, seat: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.clients[seat].post(
            f"/api/v1{path}", json.dumps(body or {}), content_type="application/json"
        )

    def upload(self, seat: str, path: str) -> Any:
        return self.clients[seat].post(
            f"/api/v1{path}", {"file": SimpleUploadedFile("p.png", PNG, content_type="image/png")}
        )

    def get(self, seat: str, path: str) -> Any:
        return self.clients[seat].get(f"/api/v1{path}")


@pytest.fixture
def world(db: None, frozen_at: Callable[[str], None]) -> World:
    frozen_at("2026-11-30T09:00:00+08:00")  # a Monday
    users, clients = {}, {}
    for seat, (role, code) in SEATS.items():
        users[seat] = UserFactory(role=role, unit=unit(code) if code else None)
        clients[seat] = Client()
        clients[seat].force_login(users[seat])
    return World(users, clients)


def _dispatcher(world: World) -> User:
    return world.users["dispatcher"]


# --- how each action is tried through the API ------------------------------------------------


def _result_due(instruction: Instruction) -> str:
    due = Deadline.objects.get(instruction=instruction, kind="result").due_at
    return (due + timedelta(days=2)).isoformat()


def instruction_try(world: World, seat: str, name: str, inst: Instruction) -> Any:
    base = f"/instructions/{inst.pk}"
    if name == "attach":
        return world.upload(seat, f"{base}/attachments")
    path, body = {
        "sign": ("sign", {}),
        "contact_caller": ("caller-contacts", {"reached": True}),
        "feedback": ("feedback", {"text": "已到达现场"}),
        "report_result": ("result", {"outcome": "resolved", "text": "已更换阀门"}),
        "request_return": ("return", {"reason": "非本单位职责"}),
        "request_join": ("join-requests", {"units": [OTHER], "reason": "需协助"}),
        "request_extension": (
            "extension-requests",
            {"progress": "已关阀", "reason": "等配件", "proposed_due_at": _result_due(inst)},
        ),
        "urge": ("urge", {"note": "请尽快处置"}),
        "reassign": ("reassign", {"unit": OTHER, "reason": "职责调整"}),
        "cancel": ("cancel", {"reason": "无需该单位参与"}),
        "accept_result": ("accept-result", {"note": ""}),
        "send_back_result": ("send-back-result", {"reason": "情况不完整"}),
    }[name]
    return world.post(seat, f"{base}/{path}", body)


def incident_try(world: World, seat: str, name: str, incident: Incident, other: Incident) -> Any:
    path, body = {
        "dispatch": (
            "dispatch",
            {
                "incident_class": "linked_disposal",
                "level": 2,
                "category": "heating-leak",
                "primary_unit": PRIMARY,
                "cooperating_units": [COOPERATING],
            },
        ),
        "return_to_city": ("return-to-city", {"reason": "非本区管辖"}),
        "merge": ("merge", {"into": other.incident_id}),
        "add_units": ("units", {"units": [OTHER], "reason": "需要增派"}),
        "close": ("close", {"outcome": "已处置完毕"}),
        "call_back": ("callbacks", {"satisfaction": "satisfied"}),
        "withdraw": ("withdraw", {"reason": "报警人已自行解决"}),
    }[name]
    return world.post(seat, f"/incidents/{incident.incident_id}/{path}", body)


def request_try(world: World, seat: str, name: str, request: Any) -> Any:
    if isinstance(request, ExtensionRequest):
        base = f"/extension-requests/{request.pk}"
        path, body = {
            "leader_approve": ("leader-decision", {"approve": True}),
            "leader_reject": ("leader-decision", {"approve": False, "note": "理由不充分"}),
            "grant": ("decision", {"grant": True}),
            "refuse": ("decision", {"grant": False, "note": "应按时完成"}),
        }[name]
    elif isinstance(request, JoinRequest):
        base = f"/join-requests/{request.pk}"
        path, body = {
            "approve": ("decision", {"approve": True}),
            "refuse": ("decision", {"approve": False, "note": "无需增派"}),
        }[name]
    else:
        base = f"/return-requests/{request.pk}"
        path, body = {
            "reassign": ("decision", {"decision": "reassign", "unit": OTHER, "note": "改派"}),
            "insist": ("decision", {"decision": "insist", "note": "属本单位职责"}),
        }[name]
    return world.post(seat, f"{base}/{path}", body)


def attempt(call: Callable[[], Any]) -> tuple[int, str]:
    """Try one action and undo whatever it did; returns (status, body)."""
    sid = transaction.savepoint()
    before = Event.objects.count()
    try:
        response = call()
        status, body = response.status_code, response.content.decode()[:300]
        if status in REFUSED:
            assert Event.objects.count() == before, "a refused action appended an event"
    finally:
        transaction.savepoint_rollback(sid)
    return status, body


def check(offers: dict[str, bool], tried: Callable[[str], tuple[int, str]], where: str) -> None:
    problems = []
    for name, offered in offers.items():
        status, body = tried(name)
        if offered and not 200 <= status < 300:
            problems.append(f"{where}: {name} offered but answered {status} {body}")
        if not offered and status not in REFUSED:
            problems.append(f"{where}: {name} not offered but answered {status} {body}")
    assert not problems, "\n".join(problems)


# --- the scenarios: every reachable state, built through the real actions ----------------------


def _sign(world: World, inst: Instruction, code: str = PRIMARY) -> None:
    actions.do_sign_instruction(actor=_officer(world, code), instruction=inst)


def _officer(world: World, code: str) -> User:
    return {
        PRIMARY: world.users["primary_officer"],
        COOPERATING: world.users["cooperating_officer"],
    }[code]


def _contact(world: World, inst: Instruction) -> None:
    actions.do_record_caller_contact(
        actor=world.users["primary_officer"], instruction=inst, reached=True
    )


def _feedback(world: World, inst: Instruction, code: str = PRIMARY) -> None:
    actions.do_give_feedback(actor=_officer(world, code), instruction=inst, text="已到达现场")


def _result(world: World, inst: Instruction, code: str = PRIMARY) -> None:
    actions.do_report_result(
        actor=_officer(world, code), instruction=inst, outcome="resolved", text="已处理"
    )


def _extension(world: World, inst: Instruction) -> ExtensionRequest:
    due = Deadline.objects.get(instruction=inst, kind="result").due_at
    return actions.do_request_extension(
        actor=world.users["primary_officer"],
        instruction=inst,
        progress="已关阀",
        reason="等配件",
        proposed_due_at=due + timedelta(days=2),
    )


def _fresh(inst: Instruction) -> Instruction:
    return Instruction.objects.get(pk=inst.pk)


def _incident_with(world: World, level: int = 2) -> tuple[Incident, Instruction, Instruction]:
    incident = dispatched(by=_dispatcher(world), level=level)
    return incident, instruction_of(incident, PRIMARY), instruction_of(incident, COOPERATING)


def build_instruction(world: World, scenario: str) -> Instruction:
    level = 1 if scenario == "after_result_due" else 2
    incident, primary, coop = _incident_with(world, level)
    steps: dict[str, Callable[[], Any]] = {
        "pending_sign": lambda: None,
        "signed": lambda: _sign(world, primary),
        "signed_contacted": lambda: (_sign(world, primary), _contact(world, _fresh(primary))),
        "in_progress": lambda: (_sign(world, primary), _feedback(world, _fresh(primary))),
        "in_progress_contacted": lambda: (
            _sign(world, primary),
            _contact(world, _fresh(primary)),
            _feedback(world, _fresh(primary)),
        ),
        "result_reported": lambda: (
            _sign(world, primary),
            _contact(world, _fresh(primary)),
            _result(world, _fresh(primary)),
        ),
        "done": lambda: (
            _sign(world, primary),
            _contact(world, _fresh(primary)),
            _result(world, _fresh(primary)),
            actions.do_accept_result(actor=_dispatcher(world), instruction=_fresh(primary)),
        ),
        "return_requested": lambda: actions.do_request_return(
            actor=world.users["primary_officer"], instruction=primary, reason="非本单位职责"
        ),
        "reassigned": lambda: actions.do_reassign_instruction(
            actor=_dispatcher(world), instruction=primary, unit=unit(FOREIGN), reason="改派"
        ),
        "cancelled": lambda: actions.do_withdraw_incident(
            actor=_dispatcher(world), incident=incident, reason="撤回", by_city=False
        ),
        "extension_pending": lambda: (_sign(world, primary), _extension(world, _fresh(primary))),
        "after_result_due": lambda: (_sign(world, primary), clock.advance(timedelta(hours=25))),
        "cooperating_signed": lambda: _sign(world, coop, COOPERATING),
        "cooperating_in_progress": lambda: (
            _sign(world, coop, COOPERATING),
            _feedback(world, _fresh(coop), COOPERATING),
        ),
    }
    steps[scenario]()
    return _fresh(coop if scenario.startswith("cooperating") else primary)


INSTRUCTION_SCENARIOS = [
    "pending_sign",
    "signed",
    "signed_contacted",
    "in_progress",
    "in_progress_contacted",
    "result_reported",
    "done",
    "return_requested",
    "reassigned",
    "cancelled",
    "extension_pending",
    "after_result_due",
    "cooperating_signed",
    "cooperating_in_progress",
]


@pytest.mark.parametrize("scenario", INSTRUCTION_SCENARIOS)
def test_instruction_actions_offered_are_exactly_those_that_succeed(
    world: World, scenario: str
) -> None:
    inst = build_instruction(world, scenario)
    for seat in SEATS:
        response = world.get(seat, f"/instructions/{inst.pk}")
        if response.status_code == 404:
            offers = {name: False for name in _instruction_names()}
        else:
            assert response.status_code == 200, response.content
            body = response.json()
            offers = {a["action"]: a["allowed"] for a in body["actions"]}
            assert body["allowed_actions"] == [n for n, ok in offers.items() if ok]
            refused = [a for a in body["actions"] if not a["allowed"]]
            assert all(a["reason"] for a in refused), refused
        assert set(offers) == set(_instruction_names())
        check(
            offers,
            lambda name, seat=seat: attempt(lambda: instruction_try(world, seat, name, inst)),
            f"{scenario}/{seat}",
        )


def _instruction_names() -> list[str]:
    from liandong.incidents.available import INSTRUCTION_OFFERS

    return [name for name, _ in INSTRUCTION_OFFERS]


def build_incident(world: World, scenario: str) -> Incident:
    d = _dispatcher(world)
    if scenario == "new":
        return new_incident(by=d)
    if scenario in ("dispatched", "withdrawn"):
        incident, _, _ = _incident_with(world)
        if scenario == "withdrawn":
            actions.do_withdraw_incident(actor=d, incident=incident, reason="撤回", by_city=False)
        return incident
    if scenario in ("all_done", "closed"):
        incident = dispatched(by=d, cooperating=())
        primary = instruction_of(incident, PRIMARY)
        _sign(world, primary)
        _contact(world, _fresh(primary))
        _result(world, _fresh(primary))
        actions.do_accept_result(actor=d, instruction=_fresh(primary))
        if scenario == "closed":
            actions.do_close_incident(actor=d, incident=incident, outcome="已处置完毕")
        return incident
    incident = new_incident(by=d)
    if scenario == "returned":
        actions.do_return_to_city(actor=d, incident=incident, reason="非本区管辖")
    else:
        actions.do_merge_incident(actor=d, incident=incident, into=new_incident(by=d))
    return incident


@pytest.mark.parametrize(
    "scenario", ["new", "dispatched", "all_done", "closed", "returned", "merged", "withdrawn"]
)
def test_incident_actions_offered_are_exactly_those_that_succeed(
    world: World, scenario: str
) -> None:
    incident = build_incident(world, scenario)
    other = new_incident(by=_dispatcher(world))
    for seat in SEATS:
        response = world.get(seat, f"/incidents/{incident.incident_id}")
        if response.status_code == 404:
            from liandong.incidents.available import INCIDENT_OFFERS

            offers = {name: False for name, _ in INCIDENT_OFFERS}
        else:
            assert response.status_code == 200, response.content
            offers = {a["action"]: a["allowed"] for a in response.json()["actions"]}
        check(
            offers,
            lambda name, seat=seat: attempt(
                lambda: incident_try(world, seat, name, incident, other)
            ),
            f"{scenario}/{seat}",
        )


def build_request(world: World, scenario: str) -> Any:
    d = _dispatcher(world)
    leader = world.users["primary_leader"]
    _, primary, _ = _incident_with(world)
    _sign(world, primary)
    if scenario.startswith("extension"):
        ext = _extension(world, _fresh(primary))
        if scenario != "extension_pending_leader":
            approve = scenario != "extension_rejected_by_leader"
            actions.do_leader_decide_extension(
                actor=leader, request=ext, approve=approve, note="" if approve else "不同意"
            )
        if scenario in ("extension_approved", "extension_refused"):
            grant = scenario == "extension_approved"
            actions.do_decide_extension(
                actor=d, request=ext, grant=grant, note="" if grant else "应按时完成"
            )
        if scenario == "extension_pending_office_after_result":
            _contact(world, _fresh(primary))
            _result(world, _fresh(primary))
        if scenario == "extension_cancelled":
            _contact(world, _fresh(primary))
            _result(world, _fresh(primary))
            actions.do_accept_result(actor=d, instruction=_fresh(primary))
        return ExtensionRequest.objects.get(pk=ext.pk)
    if scenario.startswith("join"):
        join = actions.do_request_join(
            actor=world.users["primary_officer"],
            instruction=_fresh(primary),
            units=[unit(OTHER)],
            reason="需协助",
        )
        if scenario in ("join_approved", "join_refused"):
            approve = scenario == "join_approved"
            actions.do_decide_join_request(
                actor=d, request=join, approve=approve, note="" if approve else "无需"
            )
        return JoinRequest.objects.get(pk=join.pk)
    ret = actions.do_request_return(
        actor=world.users["primary_officer"], instruction=_fresh(primary), reason="非本单位职责"
    )
    if scenario == "return_approved":
        actions.do_decide_return_request(
            actor=d, request=ret, reassign_to=unit(FOREIGN), note="改派"
        )
    if scenario == "return_refused":
        actions.do_decide_return_request(actor=d, request=ret, reassign_to=None, note="属本单位")
    return ReturnRequest.objects.get(pk=ret.pk)


REQUEST_SCENARIOS = [
    "extension_pending_leader",
    "extension_pending_office",
    "extension_pending_office_after_result",
    "extension_rejected_by_leader",
    "extension_approved",
    "extension_refused",
    "extension_cancelled",
    "join_pending",
    "join_approved",
    "join_refused",
    "return_pending",
    "return_approved",
    "return_refused",
]


@pytest.mark.parametrize("scenario", REQUEST_SCENARIOS)
def test_request_actions_offered_are_exactly_those_that_succeed(
    world: World, scenario: str
) -> None:
    request = build_request(world, scenario)
    if scenario == "extension_cancelled":
        assert request.state == "cancelled"
    for seat, user in world.users.items():
        offers = {o.action: o.allowed for o in available_actions(user, request)}
        check(
            offers,
            lambda name, seat=seat: attempt(lambda: request_try(world, seat, name, request)),
            f"{scenario}/{seat}",
        )


def test_pending_lists_carry_the_same_actions_as_the_gate(world: World) -> None:
    """The office's and the leader's queues show each request with this user's actions."""
    for scenario in ("extension_pending_leader", "join_pending", "return_pending"):
        build_request(world, scenario)
    for seat in ("dispatcher", "leadership", "primary_leader"):
        body = world.get(seat, "/pending").json()
        for key, items in body.items():
            for item in items:
                assert "actions" in item and "allowed_actions" in item, (seat, key)
    leader = world.get("primary_leader", "/pending").json()["extensions_for_leader"]
    assert leader and set(leader[0]["allowed_actions"]) == {"leader_approve", "leader_reject"}
    # district leadership reads the queue but may decide nothing
    read_only = world.get("leadership", "/pending").json()
    assert all(not item["allowed_actions"] for items in read_only.values() for item in items)

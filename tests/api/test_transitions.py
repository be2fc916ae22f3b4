"""Every lifecycle transition through the HTTP API (/api/v1): allowed in the right state (2xx and the
new state), refused from every other reachable state (409, one error body, and nothing changed).

Each starting state is reached by driving the real API, so no test starts from a state the product
could not reach. "Nothing changed" is checked on the incident/instruction state, on the number of
Event rows of the incident, and on a snapshot of every row a transition could touch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from liandong import clock
from liandong.incidents.models import (
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
from tests.factories import Api, dispatched, instruction_of, new_incident, office_user, unit_user

PRIMARY = "housing"  # primary unit of the default "heating-leak" dispatch
COOPERATING = "urban-constr"  # its cooperating unit
OTHER = "emergency"  # a linkage unit not on the incident

# Labels as the users read them (the spec, written out).
INSTRUCTION_LABELS = {
    "pending_sign": "待签收",
    "signed": "已签收",
    "in_progress": "处置中",
    "result_reported": "结果待审核",
    "done": "已完成",
    "return_requested": "退回待审核",
    "reassigned": "已改派",
    "cancelled": "已撤销",
}
INSTRUCTION_ACTION_LABELS = {
    "sign": "签收",
    "contact_caller": "联系报警人",
    "feedback": "首次反馈",
    "report_result": "反馈处置结果",
    "accept_result": "审核通过处置结果",
    "send_back_result": "退回处置结果",
    "request_return": "退回指令",
    "request_join": "提请联动",
    "request_extension": "延期申请",
    "urge": "催办",
    "reassign": "改派",
    "insist": "维持派发",
    "decide_extension": "审批延期申请",
}
INCIDENT_LABELS = {
    "new": "待研判",
    "dispatched": "处置中",
    "closed": "已办结",
    "returned": "已退回市平台",
    "merged": "已合并",
    "withdrawn": "已撤回",
}
INCIDENT_ACTION_LABELS = {
    "dispatch": "研判派发",
    "return_to_city": "退回市平台",
    "merge": "合并为重复警情",
    "add_units": "增派单位",
    "close": "办结",
    "call_back": "回访",
    "withdraw": "撤回",
    "absorb_repeat": "并入重复警情",
}
REQUEST_LABELS = {
    "pending_leader": "待单位领导审批",
    "pending_office": "待区联动办审核",
    "approved": "已同意",
    "refused": "未同意",
    "rejected_by_leader": "单位领导未同意",
    "cancelled": "已取消",
}

INSTRUCTION_STATES = list(INSTRUCTION_LABELS)
INCIDENT_STATES = list(INCIDENT_LABELS)

DISPATCH_BODY = {
    "incident_class": "linked_disposal",
    "level": 2,
    "category": "heating-leak",
    "primary_unit": PRIMARY,
    "cooperating_units": [COOPERATING],
}


# --- helpers -------------------------------------------------------------------------------------


class Case:
    """One incident and the people who act on it, driven through the API."""

    def __init__(self, incident: Incident) -> None:
        self.incident = incident
        self.office = Api(office_user())
        self._units: dict[tuple[str, str], Api] = {}
        first = incident.instructions.filter(unit__code=PRIMARY).order_by("id").first()
        self.instruction_id: int | None = first.pk if first else None

    # people
    def unit(self, code: str = PRIMARY, role: str = "duty_officer") -> Api:
        if (code, role) not in self._units:
            self._units[(code, role)] = Api(unit_user(code, role=role))
        return self._units[(code, role)]

    @property
    def leader(self) -> Api:
        return self.unit(PRIMARY, role="unit_leader")

    # paths and reads
    def inst(self, action: str, instruction_id: int | None = None) -> str:
        return f"/instructions/{instruction_id or self.instruction_id}/{action}"

    def inc(self, action: str) -> str:
        return f"/incidents/{self.incident.incident_id}/{action}"

    def state(self, instruction_id: int | None = None) -> str:
        return Instruction.objects.get(pk=instruction_id or self.instruction_id).state

    def status(self) -> str:
        return Incident.objects.get(pk=self.incident.pk).status

    def events(self) -> int:
        return Event.objects.filter(incident_id=self.incident.pk).count()

    def result_due(self, instruction_id: int | None = None) -> datetime:
        body = self.office.get(f"/instructions/{instruction_id or self.instruction_id}").json()
        result = next(d for d in body["deadlines"] if d["kind"] == "result")
        return datetime.fromisoformat(result["due_at"])

    def extension_body(self, *, later_by: timedelta = timedelta(days=2)) -> dict[str, Any]:
        return {
            "progress": "管线已关阀，等待配件",
            "reason": "配件需从厂家调货",
            "proposed_due_at": (self.result_due() + later_by).isoformat(),
        }

    # steps that must succeed (building a starting state)
    def ok(self, api: Api, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = api.post(path, body)
        assert response.status_code in (200, 201), (path, response.status_code, response.json())
        return response.json()

    def sign(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        self.ok(self.unit(code), self.inst("sign", instruction_id))

    def contact(self) -> None:
        self.ok(self.unit(), self.inst("caller-contacts"), {"reached": True, "note": "已电话联系"})

    def feedback(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        self.ok(self.unit(code), self.inst("feedback", instruction_id), {"text": "已到达现场"})

    def report(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        body = {"outcome": "resolved", "text": "已更换阀门，漏水停止"}
        self.ok(self.unit(code), self.inst("result", instruction_id), body)

    def accept(self, instruction_id: int | None = None) -> None:
        self.ok(self.office, self.inst("accept-result", instruction_id))

    def request_return(self) -> int:
        return self.ok(self.unit(), self.inst("return"), {"reason": "非本单位职责"})["id"]

    def request_join(self) -> int:
        body = {"units": [OTHER], "reason": "需应急局协助"}
        return self.ok(self.unit(), self.inst("join-requests"), body)["id"]

    def request_extension(self) -> int:
        return self.ok(self.unit(), self.inst("extension-requests"), self.extension_body())["id"]

    def reassign(self) -> None:
        self.ok(self.office, self.inst("reassign"), {"unit": OTHER, "reason": "职责调整"})

    def withdraw(self) -> None:
        self.ok(self.office, self.inc("withdraw"), {"reason": "报警人已自行解决"})

    def finish_cooperating(self) -> None:
        coop = instruction_of(self.incident, COOPERATING).pk
        self.sign(COOPERATING, coop)
        self.feedback(COOPERATING, coop)
        self.report(COOPERATING, coop)
        self.accept(coop)

    def finish_primary(self) -> None:
        self.sign()
        self.contact()
        self.feedback()
        self.report()
        self.accept()


INSTRUCTION_PATHS: dict[str, list[Callable[[Case], Any]]] = {
    "pending_sign": [],
    "signed": [Case.sign],
    "in_progress": [Case.sign, Case.feedback],
    "result_reported": [Case.sign, Case.contact, Case.feedback, Case.report],
    "done": [Case.sign, Case.contact, Case.feedback, Case.report, Case.accept],
    "return_requested": [Case.request_return],
    "reassigned": [Case.reassign],
    "cancelled": [Case.withdraw],
}


def instruction_in(state: str) -> Case:
    """A dispatched incident whose primary instruction (housing) is in `state`."""
    case = Case(dispatched())
    for step in INSTRUCTION_PATHS[state]:
        step(case)
    assert case.state() == state
    return case


def incident_in(state: str) -> Case:
    """An incident in `state`, reached through the API."""
    if state == "new":
        case = Case(new_incident())
    elif state == "dispatched":
        case = Case(dispatched())
    elif state == "closed":
        case = Case(dispatched(cooperating=()))
        case.finish_primary()
        case.ok(case.office, case.inc("close"), {"outcome": "已处置完毕"})
    elif state == "returned":
        case = Case(new_incident())
        case.ok(case.office, case.inc("return-to-city"), {"reason": "非本区管辖"})
    elif state == "merged":
        case = Case(new_incident())
        case.ok(case.office, case.inc("merge"), {"into": new_incident().incident_id})
    elif state == "withdrawn":
        case = Case(dispatched())
        case.withdraw()
    else:  # pragma: no cover
        raise AssertionError(state)
    assert case.status() == state
    return case


def snapshot() -> dict[str, Any]:
    """Every row a transition could change, across the whole database."""

    def rows(model: Any, *fields: str) -> list[tuple[Any, ...]]:
        return list(model.objects.order_by("pk").values_list("pk", *fields))

    return {
        "incidents": rows(
            Incident, "status", "repeat_calls", "merged_into", "closed_at", "withdrawn_at",
            "satisfaction", "incident_class", "outcome", "return_reason",
        ),
        "instructions": rows(Instruction, "unit__code", "state", "previous_state", "finished_at"),
        "deadlines": rows(Deadline, "kind", "state", "due_at", "completed_at", "extended_at"),
        "events": rows(Event, "kind"),
        "notifications": rows(Notification, "kind"),
        "caller_contacts": rows(CallerContact),
        "urges": rows(Urge),
        "callbacks": rows(CallBack),
        "return_requests": rows(ReturnRequest, "state", "reassigned_to"),
        "join_requests": rows(JoinRequest, "state"),
        "extension_requests": rows(
            ExtensionRequest, "state", "leader_decided_at", "granted_due_at"
        ),
    }


def assert_conflict(response: Any, *, code: str = "illegal_transition", says: tuple[str, ...] = ()):
    assert response.status_code == 409, response.content.decode()
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error == {"code": code, "message": error["message"], "fields": []}
    assert isinstance(error["message"], str) and error["message"].strip()
    for word in says:
        assert word in error["message"], (word, error["message"])


# --- the instruction machine: one row per action exposed by the API ------------------------------


@dataclass(frozen=True)
class InstructionAction:
    who: str  # "unit" (a duty officer of the instruction's unit) or "office"
    path: str
    body: Callable[[Case], dict[str, Any]]
    status: int
    allowed: dict[str, str]  # starting state -> state after
    prepare: Callable[[Case], Any] | None = None  # what the allowed case needs first

    def api(self, case: Case) -> Api:
        return case.unit() if self.who == "unit" else case.office


INSTRUCTION_ACTIONS = {
    "sign": InstructionAction("unit", "sign", lambda c: {}, 200, {"pending_sign": "signed"}),
    "contact_caller": InstructionAction(
        "unit",
        "caller-contacts",
        lambda c: {"reached": True, "note": "已电话联系"},
        201,
        {"signed": "signed", "in_progress": "in_progress", "result_reported": "result_reported"},
    ),
    "feedback": InstructionAction(
        "unit", "feedback", lambda c: {"text": "已到达现场"}, 200, {"signed": "in_progress"}
    ),
    "report_result": InstructionAction(
        "unit",
        "result",
        lambda c: {"outcome": "resolved", "text": "已更换阀门，漏水停止"},
        200,
        {"signed": "result_reported", "in_progress": "result_reported"},
        prepare=Case.contact,
    ),
    "accept_result": InstructionAction(
        "office", "accept-result", lambda c: {}, 200, {"result_reported": "done"}
    ),
    "send_back_result": InstructionAction(
        "office",
        "send-back-result",
        lambda c: {"reason": "现场仍有渗水"},
        200,
        {"result_reported": "in_progress"},
    ),
    "request_return": InstructionAction(
        "unit",
        "return",
        lambda c: {"reason": "非本单位职责"},
        201,
        {
            "pending_sign": "return_requested",
            "signed": "return_requested",
            "in_progress": "return_requested",
        },
    ),
    "request_join": InstructionAction(
        "unit",
        "join-requests",
        lambda c: {"units": [OTHER], "reason": "需应急局协助"},
        201,
        {"signed": "signed", "in_progress": "in_progress"},
    ),
    "request_extension": InstructionAction(
        "unit",
        "extension-requests",
        lambda c: c.extension_body(),
        201,
        {"signed": "signed", "in_progress": "in_progress"},
    ),
    "urge": InstructionAction(
        "office",
        "urge",
        lambda c: {},
        201,
        {"pending_sign": "pending_sign", "signed": "signed", "in_progress": "in_progress"},
    ),
    "reassign": InstructionAction(
        "office",
        "reassign",
        lambda c: {"unit": OTHER, "reason": "职责调整"},
        201,
        {
            "pending_sign": "reassigned",
            "signed": "reassigned",
            "in_progress": "reassigned",
            "return_requested": "reassigned",
        },
    ),
}

INSTRUCTION_ALLOWED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INSTRUCTION_ACTIONS.items()
    for state in spec.allowed
]
INSTRUCTION_REFUSED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INSTRUCTION_ACTIONS.items()
    for state in INSTRUCTION_STATES
    if state not in spec.allowed
]


@pytest.mark.parametrize(("action", "state"), INSTRUCTION_ALLOWED)
def test_given_an_instruction_in_the_right_state_when_the_action_is_posted_then_2xx_and_new_state(
    db, action: str, state: str
) -> None:
    case = instruction_in(state)
    spec = INSTRUCTION_ACTIONS[action]
    if spec.prepare is not None:
        spec.prepare(case)
    events_before = case.events()

    response = spec.api(case).post(case.inst(spec.path), spec.body(case))

    assert response.status_code == spec.status, response.content.decode()
    expected = spec.allowed[state]
    assert case.state() == expected
    assert case.office.get(f"/instructions/{case.instruction_id}").json()["state"] == expected
    assert case.events() > events_before
    body = response.json()
    if action == "reassign":
        assert body["state"] == "pending_sign"
        assert body["unit"]["code"] == OTHER
        assert body["reassigned_from"] == case.instruction_id
    elif spec.path in ("return", "join-requests", "extension-requests"):
        assert body["instruction"] == case.instruction_id
        assert body["state"] in ("pending_office", "pending_leader")
    else:
        assert body["state"] == expected


@pytest.mark.parametrize(("action", "state"), INSTRUCTION_REFUSED)
def test_given_an_instruction_in_another_state_when_the_action_is_posted_then_409_and_nothing_changes(
    db, action: str, state: str
) -> None:
    case = instruction_in(state)
    spec = INSTRUCTION_ACTIONS[action]
    body = spec.body(case)
    events_before = case.events()
    before = snapshot()

    response = spec.api(case).post(case.inst(spec.path), body)

    assert_conflict(
        response, says=("指令", INSTRUCTION_LABELS[state], INSTRUCTION_ACTION_LABELS[action])
    )
    assert case.state() == state
    assert case.events() == events_before
    assert snapshot() == before


# --- instruction rules beyond the table -----------------------------------------------------------


@pytest.mark.parametrize("state", ["signed", "in_progress"])
def test_given_the_primary_has_not_contacted_the_caller_when_it_reports_a_result_then_409_and_nothing_changes(
    db, state: str
) -> None:
    case = instruction_in(state)
    events_before = case.events()
    before = snapshot()

    response = case.unit().post(case.inst("result"), {"outcome": "resolved", "text": "已处置"})

    assert_conflict(response, code="caller_not_contacted", says=("联系报警人",))
    assert case.state() == state
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_caller_contact_that_was_not_reached_when_the_primary_reports_then_the_result_is_taken(
    db,
) -> None:
    case = instruction_in("signed")
    case.ok(case.unit(), case.inst("caller-contacts"), {"reached": False, "note": "无人接听"})

    response = case.unit().post(case.inst("result"), {"outcome": "resolved", "text": "已处置"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "result_reported"


def test_given_a_cooperating_unit_when_it_records_a_caller_contact_then_409_and_nothing_changes(
    db,
) -> None:
    case = Case(dispatched())
    coop = instruction_of(case.incident, COOPERATING).pk
    case.sign(COOPERATING, coop)
    events_before = case.events()
    before = snapshot()

    response = case.unit(COOPERATING).post(case.inst("caller-contacts", coop), {"reached": True})

    assert_conflict(response, code="not_primary")
    assert case.state(coop) == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_cooperating_unit_when_it_reports_without_a_caller_contact_then_the_result_is_taken(
    db,
) -> None:
    case = Case(dispatched())
    coop = instruction_of(case.incident, COOPERATING).pk
    case.sign(COOPERATING, coop)

    response = case.unit(COOPERATING).post(
        case.inst("result", coop), {"outcome": "resolved", "text": "已配合处置"}
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "result_reported"


def test_given_a_result_sent_back_when_the_unit_reports_again_then_it_is_result_reported(db) -> None:
    case = instruction_in("result_reported")
    case.ok(case.office, case.inst("send-back-result"), {"reason": "现场仍有渗水"})
    assert case.state() == "in_progress"

    response = case.unit().post(case.inst("result"), {"outcome": "resolved", "text": "已复查"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "result_reported"


def test_given_a_result_reported_when_the_office_accepts_then_deadlines_stop_and_pending_requests_end(
    db,
) -> None:
    case = instruction_in("signed")
    join = case.request_join()
    extension = case.request_extension()
    case.contact()
    case.report()

    response = case.office.post(case.inst("accept-result"), {})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "done"
    assert JoinRequest.objects.get(pk=join).state == "cancelled"
    assert ExtensionRequest.objects.get(pk=extension).state == "cancelled"
    assert not Deadline.objects.filter(instruction_id=case.instruction_id, state="open").exists()


# --- cancel (through the incident's withdrawal) ---------------------------------------------------


@pytest.mark.parametrize(
    "state", ["pending_sign", "signed", "in_progress", "result_reported", "return_requested"]
)
def test_given_an_open_instruction_when_the_incident_is_withdrawn_then_it_is_cancelled(
    db, state: str
) -> None:
    case = instruction_in(state)
    events_before = case.events()

    response = case.office.post(case.inc("withdraw"), {"reason": "报警人已自行解决"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "withdrawn"
    assert case.state() == "cancelled"
    assert case.state(instruction_of_any(case, COOPERATING)) == "cancelled"
    assert not Deadline.objects.filter(instruction_id=case.instruction_id, state="open").exists()
    assert not ReturnRequest.objects.filter(
        instruction_id=case.instruction_id, state="pending_office"
    ).exists()
    assert case.events() > events_before


@pytest.mark.parametrize("state", ["done", "reassigned"])
def test_given_a_finished_instruction_when_the_incident_is_withdrawn_then_it_keeps_its_state(
    db, state: str
) -> None:
    case = instruction_in(state)

    response = case.office.post(case.inc("withdraw"), {"reason": "报警人已自行解决"})

    assert response.status_code == 200, response.content.decode()
    assert case.state() == state
    assert case.state(instruction_of_any(case, COOPERATING)) == "cancelled"


def instruction_of_any(case: Case, code: str) -> int:
    return Instruction.objects.filter(incident=case.incident, unit__code=code).latest("id").pk


# --- return requests: insist / reassign decisions -------------------------------------------------


@pytest.mark.parametrize("state", ["pending_sign", "signed", "in_progress"])
def test_given_a_return_request_when_the_office_insists_then_the_instruction_goes_back_to_its_state(
    db, state: str
) -> None:
    case = instruction_in(state)
    request_id = case.request_return()
    assert case.state() == "return_requested"
    events_before = case.events()

    response = case.office.post(
        f"/return-requests/{request_id}/decision", {"decision": "insist", "note": "属本单位职责"}
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "refused"
    assert case.state() == state
    assert case.events() > events_before


def test_given_a_return_request_when_the_office_reassigns_then_a_new_instruction_goes_to_the_unit(
    db,
) -> None:
    case = instruction_in("signed")
    request_id = case.request_return()

    response = case.office.post(
        f"/return-requests/{request_id}/decision",
        {"decision": "reassign", "unit": OTHER, "note": "改由应急局处置"},
    )

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["state"] == "approved"
    assert case.state() == "reassigned"
    new = Instruction.objects.get(pk=body["reassigned_to"])
    assert (new.unit.code, new.state, new.reassigned_from_id) == (
        OTHER,
        "pending_sign",
        case.instruction_id,
    )


def test_given_a_return_request_when_the_office_reassigns_the_instruction_directly_then_the_request_is_approved(
    db,
) -> None:
    case = instruction_in("pending_sign")
    request_id = case.request_return()

    response = case.office.post(case.inst("reassign"), {"unit": OTHER, "reason": "改派"})

    assert response.status_code == 201, response.content.decode()
    assert ReturnRequest.objects.get(pk=request_id).state == "approved"


@pytest.mark.parametrize("first", ["insist", "reassign"])
@pytest.mark.parametrize("second", ["insist", "reassign"])
def test_given_a_decided_return_request_when_the_office_decides_again_then_409_and_nothing_changes(
    db, first: str, second: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_return()
    decision = {"insist": {"decision": "insist", "note": "属本单位职责"}}
    decision["reassign"] = {"decision": "reassign", "unit": OTHER, "note": "改由应急局处置"}
    case.ok(case.office, f"/return-requests/{request_id}/decision", decision[first])
    state_after_first = case.state()
    events_before = case.events()
    before = snapshot()

    second_body = dict(decision[second])
    if second == "reassign":
        second_body["unit"] = "fire" if first == "reassign" else OTHER
    response = case.office.post(f"/return-requests/{request_id}/decision", second_body)

    assert_conflict(response)
    assert case.state() == state_after_first
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize("decision", ["insist", "reassign"])
def test_given_a_return_request_cancelled_by_withdrawal_when_the_office_decides_then_409_and_nothing_changes(
    db, decision: str
) -> None:
    case = instruction_in("pending_sign")
    request_id = case.request_return()
    case.withdraw()
    assert ReturnRequest.objects.get(pk=request_id).state == "cancelled"
    events_before = case.events()
    before = snapshot()

    body = {"decision": decision, "note": "处理", **({"unit": OTHER} if decision == "reassign" else {})}
    response = case.office.post(f"/return-requests/{request_id}/decision", body)

    assert_conflict(response)
    assert case.state() == "cancelled"
    assert case.events() == events_before
    assert snapshot() == before


# --- join requests ---------------------------------------------------------------------------------


def test_given_a_join_request_when_the_office_approves_then_the_units_are_added(db) -> None:
    case = instruction_in("in_progress")
    request_id = case.request_join()

    response = case.office.post(f"/join-requests/{request_id}/decision", {"approve": True})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "approved"
    added = instruction_of(case.incident, OTHER)
    assert (added.role, added.state) == ("cooperating", "pending_sign")
    assert case.state() == "in_progress"


def test_given_a_join_request_when_the_office_refuses_with_a_reason_then_it_is_refused(db) -> None:
    case = instruction_in("signed")
    request_id = case.request_join()

    response = case.office.post(
        f"/join-requests/{request_id}/decision", {"approve": False, "note": "本单位可自行处置"}
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "refused"
    assert not Instruction.objects.filter(incident=case.incident, unit__code=OTHER).exists()


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("second", [True, False])
def test_given_a_decided_join_request_when_the_office_decides_again_then_409_and_nothing_changes(
    db, first: bool, second: bool
) -> None:
    case = instruction_in("signed")
    request_id = case.request_join()
    case.ok(case.office, f"/join-requests/{request_id}/decision", {"approve": first, "note": "意见"})
    events_before = case.events()
    before = snapshot()

    response = case.office.post(
        f"/join-requests/{request_id}/decision",
        {"approve": second, "units": ["fire"], "note": "再次审核"},
    )

    first_label = REQUEST_LABELS["approved" if first else "refused"]
    assert_conflict(response, says=("提请联动", first_label))
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_join_request_cancelled_by_acceptance_when_the_office_decides_then_409_and_nothing_changes(
    db,
) -> None:
    case = instruction_in("in_progress")
    request_id = case.request_join()
    case.contact()
    case.report()
    case.accept()
    assert JoinRequest.objects.get(pk=request_id).state == "cancelled"
    events_before = case.events()
    before = snapshot()

    response = case.office.post(f"/join-requests/{request_id}/decision", {"approve": True})

    assert_conflict(response, says=(REQUEST_LABELS["cancelled"],))
    assert case.state() == "done"
    assert case.events() == events_before
    assert snapshot() == before


# --- extension requests: leader, then office --------------------------------------------------------


def leader_decision(case: Case, request_id: int, approve: bool) -> Any:
    body = {"approve": approve, "note": "" if approve else "理由不充分"}
    return case.leader.post(f"/extension-requests/{request_id}/leader-decision", body)


def office_decision(case: Case, request_id: int, grant: bool) -> Any:
    body = {"grant": grant, "note": "" if grant else "应在时限内完成"}
    return case.office.post(f"/extension-requests/{request_id}/decision", body)


@pytest.mark.parametrize("state", ["signed", "in_progress"])
def test_given_a_working_instruction_when_the_unit_asks_for_an_extension_then_it_waits_for_its_leader(
    db, state: str
) -> None:
    case = instruction_in(state)

    response = case.unit().post(case.inst("extension-requests"), case.extension_body())

    assert response.status_code == 201, response.content.decode()
    assert response.json()["state"] == "pending_leader"
    assert case.state() == state


def test_given_an_extension_not_later_than_the_deadline_when_the_unit_asks_then_422(db) -> None:
    case = instruction_in("signed")
    before = snapshot()

    response = case.unit().post(
        case.inst("extension-requests"), case.extension_body(later_by=timedelta(0))
    )

    assert response.status_code == 422, response.content.decode()
    assert "proposed_due_at" in [f["field"] for f in response.json()["error"]["fields"]]
    assert snapshot() == before


def test_given_a_pending_extension_request_when_the_unit_asks_again_then_409_and_nothing_changes(
    db,
) -> None:
    case = instruction_in("signed")
    case.request_extension()
    events_before = case.events()
    before = snapshot()

    response = case.unit().post(case.inst("extension-requests"), case.extension_body())

    assert_conflict(response, code="pending_request")
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_the_result_deadline_has_passed_when_the_unit_asks_for_an_extension_then_409(
    db, frozen_at
) -> None:
    frozen_at("2026-03-02T09:00:00+08:00")
    case = instruction_in("signed")
    clock.advance(timedelta(days=14))
    assert clock.now() > case.result_due()
    events_before = case.events()
    before = snapshot()

    body = case.extension_body()
    body["proposed_due_at"] = (clock.now() + timedelta(days=2)).isoformat()
    response = case.unit().post(case.inst("extension-requests"), body)

    assert_conflict(response, code="deadline_passed")
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize("approve", [True, False])
def test_given_an_extension_request_when_the_unit_leader_decides_then_it_moves_on(
    db, approve: bool
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()

    response = leader_decision(case, request_id, approve)

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == ("pending_office" if approve else "rejected_by_leader")


@pytest.mark.parametrize("state", ["signed", "in_progress", "result_reported"])
def test_given_a_leader_approved_extension_when_the_office_grants_then_the_result_deadline_moves(
    db, state: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    proposed = ExtensionRequest.objects.get(pk=request_id).proposed_due_at
    assert leader_decision(case, request_id, True).status_code == 200
    if state in ("in_progress", "result_reported"):
        case.feedback()
    if state == "result_reported":
        case.contact()
        case.report()
    assert case.state() == state

    response = office_decision(case, request_id, True)

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "approved"
    assert case.result_due() == proposed
    assert case.state() == state


def test_given_a_leader_approved_extension_when_the_office_refuses_then_it_is_refused(db) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    due = case.result_due()
    assert leader_decision(case, request_id, True).status_code == 200

    response = office_decision(case, request_id, False)

    assert response.status_code == 200, response.content.decode()
    assert response.json()["state"] == "refused"
    assert case.result_due() == due


EXTENSION_REFUSALS = [
    # (name, steps before the refused decision, the refused decision, state label named)
    ("office-before-leader", [], ("office", True), "pending_leader"),
    ("office-refuse-before-leader", [], ("office", False), "pending_leader"),
    ("leader-twice-approve", [("leader", True)], ("leader", True), "pending_office"),
    ("leader-twice-reject", [("leader", False)], ("leader", False), "rejected_by_leader"),
    ("leader-after-reject", [("leader", False)], ("leader", True), "rejected_by_leader"),
    ("office-after-leader-reject", [("leader", False)], ("office", True), "rejected_by_leader"),
    ("office-twice-grant", [("leader", True), ("office", True)], ("office", True), "approved"),
    ("office-twice-refuse", [("leader", True), ("office", False)], ("office", False), "refused"),
    ("office-refuse-after-grant", [("leader", True), ("office", True)], ("office", False), "approved"),
    ("office-grant-after-refuse", [("leader", True), ("office", False)], ("office", True), "refused"),
    ("leader-after-office", [("leader", True), ("office", True)], ("leader", True), "approved"),
]


@pytest.mark.parametrize(
    ("steps", "refused", "label"),
    [pytest.param(s, r, label, id=name) for name, s, r, label in EXTENSION_REFUSALS],
)
def test_given_an_extension_request_when_a_decision_comes_in_the_wrong_state_then_409_and_nothing_changes(
    db, steps: list[tuple[str, bool]], refused: tuple[str, bool], label: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    for who, yes in steps:
        decide = leader_decision if who == "leader" else office_decision
        assert decide(case, request_id, yes).status_code == 200
    events_before = case.events()
    before = snapshot()

    who, yes = refused
    decide = leader_decision if who == "leader" else office_decision
    response = decide(case, request_id, yes)

    assert_conflict(response, says=("延期申请", REQUEST_LABELS[label]))
    assert ExtensionRequest.objects.get(pk=request_id).state == label
    assert case.state() == "signed"
    assert case.events() == events_before
    assert snapshot() == before


def test_given_the_instruction_was_returned_when_the_office_decides_its_extension_then_409_and_nothing_changes(
    db,
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    assert leader_decision(case, request_id, True).status_code == 200
    case.request_return()
    events_before = case.events()
    before = snapshot()

    response = office_decision(case, request_id, True)

    assert_conflict(
        response,
        says=("指令", INSTRUCTION_LABELS["return_requested"], INSTRUCTION_ACTION_LABELS["decide_extension"]),
    )
    assert ExtensionRequest.objects.get(pk=request_id).state == "pending_office"
    assert case.state() == "return_requested"
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize("finish", ["done", "reassigned", "cancelled"])
@pytest.mark.parametrize("who", ["leader", "office"])
def test_given_the_instruction_finished_when_its_extension_is_decided_then_409_and_nothing_changes(
    db, finish: str, who: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_extension()
    if who == "office":
        assert leader_decision(case, request_id, True).status_code == 200
    if finish == "done":
        case.contact()
        case.report()
        case.accept()
    elif finish == "reassigned":
        case.reassign()
    else:
        case.withdraw()
    assert ExtensionRequest.objects.get(pk=request_id).state == "cancelled"
    events_before = case.events()
    before = snapshot()

    decide = leader_decision if who == "leader" else office_decision
    response = decide(case, request_id, True)

    assert_conflict(response, says=(REQUEST_LABELS["cancelled"],))
    assert case.state() == finish
    assert case.events() == events_before
    assert snapshot() == before


# --- the incident machine ------------------------------------------------------------------------


def _merge_body(case: Case) -> dict[str, Any]:
    return {"into": new_incident().incident_id}


@dataclass(frozen=True)
class IncidentAction:
    path: str
    body: Callable[[Case], dict[str, Any]]
    status: int
    allowed: dict[str, str]  # starting status -> status after
    prepare: Callable[[Case], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _finish_all(case: Case) -> None:
    case.finish_primary()
    case.finish_cooperating()


INCIDENT_ACTIONS = {
    "dispatch": IncidentAction("dispatch", lambda c: dict(DISPATCH_BODY), 200, {"new": "dispatched"}),
    "return_to_city": IncidentAction(
        "return-to-city", lambda c: {"reason": "非本区管辖"}, 200, {"new": "returned"}
    ),
    "merge": IncidentAction("merge", _merge_body, 200, {"new": "merged"}),
    "add_units": IncidentAction(
        "units", lambda c: {"units": [OTHER], "reason": "需应急局协助"}, 200, {"dispatched": "dispatched"}
    ),
    "close": IncidentAction(
        "close", lambda c: {"outcome": "已处置完毕"}, 200, {"dispatched": "closed"}, _finish_all
    ),
    "call_back": IncidentAction(
        "callbacks", lambda c: {"satisfaction": "satisfied", "note": "很满意"}, 201, {"closed": "closed"}
    ),
    "withdraw": IncidentAction(
        "withdraw",
        lambda c: {"reason": "报警人已自行解决"},
        200,
        {"new": "withdrawn", "dispatched": "withdrawn"},
    ),
}

INCIDENT_ALLOWED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INCIDENT_ACTIONS.items()
    for state in spec.allowed
]
INCIDENT_REFUSED = [
    pytest.param(action, state, id=f"{action}-from-{state}")
    for action, spec in INCIDENT_ACTIONS.items()
    for state in INCIDENT_STATES
    if state not in spec.allowed
]


@pytest.mark.parametrize(("action", "state"), INCIDENT_ALLOWED)
def test_given_an_incident_in_the_right_state_when_the_action_is_posted_then_2xx_and_new_status(
    db, action: str, state: str
) -> None:
    case = incident_in(state)
    spec = INCIDENT_ACTIONS[action]
    if spec.prepare is not None:
        spec.prepare(case)
    events_before = case.events()

    response = case.office.post(case.inc(spec.path), spec.body(case))

    assert response.status_code == spec.status, response.content.decode()
    expected = spec.allowed[state]
    assert response.json()["status"] == expected
    assert case.status() == expected
    assert case.events() > events_before


@pytest.mark.parametrize(("action", "state"), INCIDENT_REFUSED)
def test_given_an_incident_in_another_state_when_the_action_is_posted_then_409_and_nothing_changes(
    db, action: str, state: str
) -> None:
    case = incident_in(state)
    spec = INCIDENT_ACTIONS[action]
    body = spec.body(case)
    events_before = case.events()
    before = snapshot()

    response = case.office.post(case.inc(spec.path), body)

    assert_conflict(response, says=("警情", INCIDENT_LABELS[state], INCIDENT_ACTION_LABELS[action]))
    assert case.status() == state
    assert case.events() == events_before
    assert snapshot() == before


@pytest.mark.parametrize(
    "unfinished", ["pending_sign", "signed", "in_progress", "result_reported", "return_requested"]
)
def test_given_an_unfinished_instruction_when_the_office_closes_then_409_and_nothing_changes(
    db, unfinished: str
) -> None:
    case = instruction_in(unfinished)
    case.finish_cooperating()
    events_before = case.events()
    before = snapshot()

    response = case.office.post(case.inc("close"), {"outcome": "已处置完毕"})

    assert_conflict(response, code="open_instructions", says=("区房产局",))
    assert case.status() == "dispatched"
    assert case.state() == unfinished
    assert case.events() == events_before
    assert snapshot() == before


def test_given_a_reassigned_instruction_when_its_successor_is_done_then_the_incident_can_close(
    db,
) -> None:
    case = instruction_in("reassigned")
    case.finish_cooperating()
    successor = instruction_of(case.incident, OTHER).pk
    case.sign(OTHER, successor)
    case.feedback(OTHER, successor)
    case.ok(
        case.unit(OTHER),
        case.inst("caller-contacts", successor),
        {"reached": True},
    )
    case.report(OTHER, successor)
    case.accept(successor)

    response = case.office.post(case.inc("close"), {"outcome": "已处置完毕"})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "closed"


def test_given_a_closed_incident_when_the_caller_is_unsatisfied_and_it_reopens_then_the_primary_gets_a_new_instruction(
    db,
) -> None:
    case = incident_in("closed")
    old = case.instruction_id

    response = case.office.post(
        case.inc("callbacks"), {"satisfaction": "unsatisfied", "note": "仍在漏水", "reopen": True}
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["status"] == "dispatched"
    new = Instruction.objects.filter(incident=case.incident).exclude(pk=old).get()
    assert (new.unit.code, new.role, new.state) == (PRIMARY, "primary", "pending_sign")
    assert case.state(old) == "done"


@pytest.mark.parametrize("target", ["new", "dispatched"])
def test_given_an_open_incident_when_a_new_one_is_merged_into_it_then_it_absorbs_the_repeat(
    db, target: str
) -> None:
    into = incident_in(target)
    case = Case(new_incident())

    response = case.office.post(case.inc("merge"), {"into": into.incident.incident_id})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "merged"
    assert response.json()["merged_into"] == into.incident.incident_id
    assert into.status() == target
    assert Incident.objects.get(pk=into.incident.pk).repeat_calls == 1


@pytest.mark.parametrize("target", ["closed", "returned", "merged", "withdrawn"])
def test_given_a_finished_incident_when_a_new_one_is_merged_into_it_then_409_and_nothing_changes(
    db, target: str
) -> None:
    into = incident_in(target)
    case = Case(new_incident())
    events_before = (case.events(), into.events())
    before = snapshot()

    response = case.office.post(case.inc("merge"), {"into": into.incident.incident_id})

    assert_conflict(
        response, says=("警情", INCIDENT_LABELS[target], INCIDENT_ACTION_LABELS["absorb_repeat"])
    )
    assert (case.status(), into.status()) == ("new", target)
    assert (case.events(), into.events()) == events_before
    assert snapshot() == before

"""Every lifecycle transition through the HTTP API (/api/v1): allowed in the right state (2xx and the
new state), refused from every other reachable state (409, one error body, and nothing changed).

Each starting state is reached by driving the real API, so no test starts from a state the product
could not reach. "Nothing changed" is checked on the incident/instruction state, on the number of
Event rows of the incident, and on a snapshot of every row a transition could touch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import actions
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
from tests.factories import (
    Api,
    dispatched,
    instruction_of,
    new_incident,
    office_user,
    unit,
    unit_user,
)

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
REFUSED_OR_APPROVED = {"insist": "refused", "reassign": "approved"}
INCIDENT_STATES = list(INCIDENT_LABELS)

DISPATCH_BODY = {
    "incident_class": "linked_disposal",
    "level": 2,
    "category": "heating-leak",
    "primary_unit": PRIMARY,
    "cooperating_units": [COOPERATING],
}


# --- helpers -------------------------------------------------------------------------------------


_CLIENTS: dict[int, Client] = {}


class Case:
    """One incident and the people who act on it.

    Starting states are built by calling the real actions (liandong.incidents.actions); the step
    under test is always an HTTP call through an `Api` client (created lazily: each client costs a
    middleware set-up).
    """

    def __init__(self, incident: Incident) -> None:
        self.incident = incident
        self._users: dict[tuple[str, str], User] = {}
        self._apis: dict[tuple[str, str], Api] = {}
        first = incident.instructions.filter(unit__code=PRIMARY).order_by("id").first()
        self.instruction_id: int | None = first.pk if first else None

    # people
    def user(self, code: str = PRIMARY, role: str = "duty_officer") -> User:
        if (code, role) not in self._users:
            self._users[(code, role)] = (
                office_user() if code == "office" else unit_user(code, role=role)
            )
        return self._users[(code, role)]

    def unit(self, code: str = PRIMARY, role: str = "duty_officer") -> Api:
        if (code, role) not in self._apis:
            # A Client sets up the whole middleware stack on its first request (tens of ms);
            # reuse one per seat across tests and log the seat's new user in.
            client = _CLIENTS.setdefault(len(self._apis), Client())
            self._apis[(code, role)] = Api(self.user(code, role), client=client)
        return self._apis[(code, role)]

    @property
    def office(self) -> Api:
        return self.unit("office", "dispatcher")

    @property
    def dispatcher(self) -> User:
        return self.user("office", "dispatcher")

    @property
    def leader(self) -> Api:
        return self.unit(PRIMARY, role="unit_leader")

    # paths and reads
    def inst(self, action: str, instruction_id: int | None = None) -> str:
        return f"/instructions/{instruction_id or self.instruction_id}/{action}"

    def inc(self, action: str) -> str:
        return f"/incidents/{self.incident.incident_id}/{action}"

    def instruction(self, instruction_id: int | None = None) -> Instruction:
        return Instruction.objects.get(pk=instruction_id or self.instruction_id)

    def state(self, instruction_id: int | None = None) -> str:
        return self.instruction(instruction_id).state

    def status(self) -> str:
        return Incident.objects.get(pk=self.incident.pk).status

    def events(self) -> int:
        return Event.objects.filter(incident_id=self.incident.pk).count()

    def result_due(self, instruction_id: int | None = None) -> datetime:
        """The current result deadline, as the API shows it."""
        body = self.office.get(f"/instructions/{instruction_id or self.instruction_id}").json()
        result = next(d for d in body["deadlines"] if d["kind"] == "result")
        return datetime.fromisoformat(result["due_at"])

    def extension_body(self, *, later_by: timedelta = timedelta(days=2)) -> dict[str, Any]:
        return {
            "progress": "管线已关阀，等待配件",
            "reason": "配件需从厂家调货",
            "proposed_due_at": (self.result_due() + later_by).isoformat(),
        }

    # given-steps: the real actions
    def sign(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        actions.do_sign_instruction(
            actor=self.user(code), instruction=self.instruction(instruction_id)
        )

    def contact(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        actions.do_record_caller_contact(
            actor=self.user(code), instruction=self.instruction(instruction_id), reached=True
        )

    def feedback(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        actions.do_give_feedback(
            actor=self.user(code), instruction=self.instruction(instruction_id), text="已到达现场"
        )

    def report(self, code: str = PRIMARY, instruction_id: int | None = None) -> None:
        actions.do_report_result(
            actor=self.user(code),
            instruction=self.instruction(instruction_id),
            outcome="resolved",
            text="已更换阀门，漏水停止",
        )

    def accept(self, instruction_id: int | None = None) -> None:
        actions.do_accept_result(
            actor=self.dispatcher, instruction=self.instruction(instruction_id)
        )

    def request_return(self) -> int:
        return actions.do_request_return(
            actor=self.user(), instruction=self.instruction(), reason="非本单位职责"
        ).pk

    def request_join(self) -> int:
        return actions.do_request_join(
            actor=self.user(), instruction=self.instruction(), units=[unit(OTHER)], reason="需协助"
        ).pk

    def request_extension(self) -> int:
        result = Deadline.objects.get(instruction_id=self.instruction_id, kind="result")
        return actions.do_request_extension(
            actor=self.user(),
            instruction=self.instruction(),
            progress="管线已关阀，等待配件",
            reason="配件需从厂家调货",
            proposed_due_at=result.due_at + timedelta(days=2),
        ).pk

    def leader_decides(self, request_id: int, approve: bool) -> None:
        actions.do_leader_decide_extension(
            actor=self.user(PRIMARY, "unit_leader"),
            request=ExtensionRequest.objects.get(pk=request_id),
            approve=approve,
            note="" if approve else "理由不充分",
        )

    def office_decides(self, request_id: int, grant: bool) -> None:
        actions.do_decide_extension(
            actor=self.dispatcher,
            request=ExtensionRequest.objects.get(pk=request_id),
            grant=grant,
            note="" if grant else "应在时限内完成",
        )

    def reassign(self) -> None:
        actions.do_reassign_instruction(
            actor=self.dispatcher,
            instruction=self.instruction(),
            unit=unit(OTHER),
            reason="职责调整",
        )

    def withdraw(self) -> None:
        actions.do_withdraw_incident(
            actor=self.dispatcher, incident=self.incident, reason="报警人已自行解决", by_city=False
        )

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
    """An incident in `state`, reached through the real actions."""
    if state == "new":
        case = Case(new_incident())
    elif state == "dispatched":
        case = Case(dispatched())
    elif state == "closed":
        case = Case(dispatched(cooperating=()))
        case.finish_primary()
        actions.do_close_incident(
            actor=case.dispatcher, incident=case.incident, outcome="已处置完毕"
        )
    elif state == "returned":
        case = Case(new_incident())
        actions.do_return_to_city(
            actor=case.dispatcher, incident=case.incident, reason="非本区管辖"
        )
    elif state == "merged":
        case = Case(new_incident())
        actions.do_merge_incident(
            actor=case.dispatcher, incident=case.incident, into=new_incident()
        )
    elif state == "withdrawn":
        case = Case(dispatched())
        case.withdraw()
    else:  # pragma: no cover
        raise AssertionError(state)
    assert case.status() == state
    return case


def instruction_of_any(case: Case, code: str) -> int:
    return Instruction.objects.filter(incident=case.incident, unit__code=code).latest("id").pk


def snapshot() -> dict[str, Any]:
    """Every row a transition could change, across the whole database."""

    def rows(model: Any, *fields: str) -> list[tuple[Any, ...]]:
        return list(model.objects.order_by("pk").values_list("pk", *fields))

    return {
        "incidents": rows(
            Incident,
            "status",
            "repeat_calls",
            "merged_into",
            "closed_at",
            "withdrawn_at",
            "satisfaction",
            "incident_class",
            "outcome",
            "return_reason",
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


def assert_conflict(
    response: Any, *, code: str = "illegal_transition", says: tuple[str, ...] = ()
) -> None:
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

# A request that an action files waits for: the office (return, join) or first the unit's leader.
NEW_REQUEST_STATE = {
    "return": "pending_office",
    "join-requests": "pending_office",
    "extension-requests": "pending_leader",
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
    elif spec.path in NEW_REQUEST_STATE:
        assert body["instruction"] == case.instruction_id
        assert body["state"] == NEW_REQUEST_STATE[spec.path]
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
    actions.do_record_caller_contact(
        actor=case.user(), instruction=case.instruction(), reached=False, note="无人接听"
    )

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


def test_given_a_result_sent_back_when_the_unit_reports_again_then_it_is_result_reported(
    db,
) -> None:
    case = instruction_in("result_reported")
    actions.do_send_back_result(
        actor=case.dispatcher, instruction=case.instruction(), reason="现场仍有渗水"
    )
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


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(first, second, id=f"{first}-then-{second}")
        for first in ("insist", "reassign")
        for second in ("insist", "reassign")
    ],
)
def test_given_a_decided_return_request_when_the_office_decides_again_then_409_and_nothing_changes(
    db, first: str, second: str
) -> None:
    case = instruction_in("signed")
    request_id = case.request_return()
    if first == "insist":
        actions.do_insist_on_instruction(
            actor=case.dispatcher,
            request=ReturnRequest.objects.get(pk=request_id),
            note="属本单位职责",
        )
    else:
        case.reassign()
    assert ReturnRequest.objects.get(pk=request_id).state == REFUSED_OR_APPROVED[first]
    state_after_first = case.state()
    events_before = case.events()
    before = snapshot()

    second_body = {"decision": second, "note": "再次审核"}
    if second == "reassign":
        second_body["unit"] = "fire"
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

    body = {
        "decision": decision,
        "note": "处理",
        **({"unit": OTHER} if decision == "reassign" else {}),
    }
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


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            first,
            second,
            id=f"{'approve' if first else 'refuse'}-then-{'approve' if second else 'refuse'}",
        )
        for first in (True, False)
        for second in (True, False)
    ],
)
def test_given_a_decided_join_request_when_the_office_decides_again_then_409_and_nothing_changes(
    db, first: bool, second: bool
) -> None:
    case = instruction_in("signed")
    request_id = case.request_join()
    actions.do_decide_join_request(
        actor=case.dispatcher,
        request=JoinRequest.objects.get(pk=request_id),
        approve=first,
        note="意见",
    )
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
    case.leader_decides(request_id, True)
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
    case.leader_decides(request_id, True)

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
    (
        "office-refuse-after-grant",
        [("leader", True), ("office", True)],
        ("office", False),
        "approved",
    ),
    (
        "office-grant-after-refuse",
        [("leader", True), ("office", False)],
        ("office", True),
        "refused",
    ),
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
        if who == "leader":
            case.leader_decides(request_id, yes)
        else:
            case.office_decides(request_id, yes)
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
    case.leader_decides(request_id, True)
    case.request_return()
    events_before = case.events()
    before = snapshot()

    response = office_decision(case, request_id, True)

    assert_conflict(
        response,
        says=(
            "指令",
            INSTRUCTION_LABELS["return_requested"],
            INSTRUCTION_ACTION_LABELS["decide_extension"],
        ),
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
        case.leader_decides(request_id, True)
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


def _finish_all(case: Case) -> None:
    case.finish_primary()
    case.finish_cooperating()


INCIDENT_ACTIONS = {
    "dispatch": IncidentAction(
        "dispatch", lambda c: dict(DISPATCH_BODY), 200, {"new": "dispatched"}
    ),
    "return_to_city": IncidentAction(
        "return-to-city", lambda c: {"reason": "非本区管辖"}, 200, {"new": "returned"}
    ),
    "merge": IncidentAction("merge", _merge_body, 200, {"new": "merged"}),
    "add_units": IncidentAction(
        "units",
        lambda c: {"units": [OTHER], "reason": "需应急局协助"},
        200,
        {"dispatched": "dispatched"},
    ),
    "close": IncidentAction(
        "close", lambda c: {"outcome": "已处置完毕"}, 200, {"dispatched": "closed"}, _finish_all
    ),
    "call_back": IncidentAction(
        "callbacks",
        lambda c: {"satisfaction": "satisfied", "note": "很满意"},
        201,
        {"closed": "closed"},
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
    case.contact(OTHER, successor)
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

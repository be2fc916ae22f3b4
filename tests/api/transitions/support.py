"""Shared set-up for the lifecycle transition tests through the HTTP API (/api/v1): every
transition allowed in the right state (2xx and the new state), refused from every other reachable
state (409, one error body, and nothing changed).

Each starting state is reached by driving the real API, so no test starts from a state the product
could not reach. "Nothing changed" is checked on the incident/instruction state, on the number of
Event rows of the incident, and on a snapshot of every row a transition could touch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.test import Client

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


# --- extension decisions through the API --------------------------------------------------------


def leader_decision(case: Case, request_id: int, approve: bool) -> Any:
    body = {"approve": approve, "note": "" if approve else "理由不充分"}
    return case.leader.post(f"/extension-requests/{request_id}/leader-decision", body)


def office_decision(case: Case, request_id: int, grant: bool) -> Any:
    body = {"grant": grant, "note": "" if grant else "应在时限内完成"}
    return case.office.post(f"/extension-requests/{request_id}/decision", body)

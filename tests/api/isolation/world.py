"""The isolation world: two incidents, three units, the requests and photos they made; what a
request names (real ids or ids of things that do not exist); and the fingerprint of everything a
refused request could have changed.

The world is built once per test module (the `world` fixture in tests/api/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from liandong import clock
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
from liandong.supervision.actions import do_answer_supervision_order, do_issue_supervision_order
from liandong.supervision.models import SupervisionOrder
from liandong.units.models import TierChange, Unit
from tests.factories import dispatched, image_bytes, instruction_of, office_user, unit, unit_user

PREFIX = "/api/v1"
PNG = image_bytes()

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
    order: int


GHOST = Ids(
    incident="GHOST-000000",
    instruction=987_654_321,
    attachment=987_654_322,
    return_request=987_654_323,
    join_request=987_654_324,
    extension_request=987_654_325,
    other_incident="GHOST-000001",
    order=987_654_326,
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
    order: SupervisionOrder

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
            order=self.order.pk,
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
    order = do_issue_supervision_order(
        actor=office_user(Role.SUPERVISOR),
        unit=unit(A),
        instructions=[a_inst],
        problems="签收超时",
        measures="立即处置并书面说明",
        answer_due_at=clock.now() + timedelta(days=2),
        contact="李督办 024-12345678",
    )
    order = do_answer_supervision_order(
        actor=unit_user(A, Role.UNIT_LEADER),
        order=order,
        text="已整改",
        document=("回复.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"),
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
        order=order,
    )


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
                SupervisionOrder,
            )
        },
        "incidents": sorted(
            Incident.objects.values_list("pk", "status", "closed_at", "withdrawn_at")
        ),
        "instructions": sorted(Instruction.objects.values_list("pk", "state", "unit_id")),
        "orders": sorted(SupervisionOrder.objects.values_list("pk", "state", "answered_at")),
        "deadlines": sorted(Deadline.objects.values_list("pk", "state", "due_at")),
        "requests": [
            sorted(model.objects.values_list("pk", "state"))
            for model in (ReturnRequest, JoinRequest, ExtensionRequest)
        ],
        "tiers": sorted(Unit.objects.values_list("code", "tier")),
        "calendar": sorted(HolidayYear.objects.values_list("year", "holidays")),
    }

"""The one access gate. Every API handler and screen asks here what a user may see or do; list
queries start from the querysets here, so a unit user never sees another unit's work.

Rules:
- office dispatchers and supervisors see everything and take office actions;
- district leadership and administrators see everything and act on nothing here (administrators
  change reference data in the admin);
- a unit's duty officers and leader see the incidents and instructions sent to their unit only, and
  act on their own unit's instructions; only a unit leader approves the unit's extension requests.
Something a user may not see is answered as not found, so its existence does not leak.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import QuerySet

from liandong.accounts.models import OFFICE_ROLES, UNIT_ROLES, Role, User
from liandong.common.errors import Forbidden, NotFound
from liandong.incidents.models import (
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    ReturnRequest,
)

READ_EVERYTHING = OFFICE_ROLES | {Role.LEADERSHIP, Role.ADMIN}


def is_office(user: User) -> bool:
    return user.is_active and user.role in OFFICE_ROLES


def is_unit_user(user: User) -> bool:
    return user.is_active and user.role in UNIT_ROLES and user.unit_id is not None


def visible_incidents(user: User) -> QuerySet[Incident]:
    if not user.is_active:
        return Incident.objects.none()
    if user.role in READ_EVERYTHING:
        return Incident.objects.all()
    if is_unit_user(user) and user.unit_id is not None:
        return Incident.objects.filter(instructions__unit_id=user.unit_id).distinct()
    return Incident.objects.none()


def visible_instructions(user: User) -> QuerySet[Instruction]:
    if not user.is_active:
        return Instruction.objects.none()
    if user.role in READ_EVERYTHING:
        return Instruction.objects.all()
    if is_unit_user(user) and user.unit_id is not None:
        return Instruction.objects.filter(unit_id=user.unit_id)
    return Instruction.objects.none()


def access_incident(user: User, incident_id: str) -> Incident:
    incident = visible_incidents(user).filter(incident_id=incident_id).first()
    if incident is None:
        raise NotFound("警情不存在或无权查看", code="unknown_incident")
    return incident


def access_instruction(user: User, instruction_id: int) -> Instruction:
    instruction = (
        visible_instructions(user)
        .select_related("incident", "unit")
        .filter(pk=instruction_id)
        .first()
    )
    if instruction is None:
        raise NotFound("指令不存在或无权查看", code="unknown_instruction")
    return instruction


def require_office(user: User) -> None:
    if not is_office(user):
        raise Forbidden("只有区联动办调度员或督办员可以执行此操作")


def access_instruction_for_unit_action(user: User, instruction_id: int) -> Instruction:
    """A unit action: the user must belong to the instruction's unit."""
    instruction = access_instruction(user, instruction_id)
    if not is_unit_user(user) or instruction.unit_id != user.unit_id:
        raise Forbidden("只有承办单位的值班员或主管领导可以执行此操作")
    return instruction


def access_instruction_for_office_action(user: User, instruction_id: int) -> Instruction:
    instruction = access_instruction(user, instruction_id)
    require_office(user)
    return instruction


def access_incident_for_office_action(user: User, incident_id: str) -> Incident:
    incident = access_incident(user, incident_id)
    require_office(user)
    return incident


def visible_extension_requests(user: User) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(instruction__in=visible_instructions(user))


def visible_join_requests(user: User) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(instruction__in=visible_instructions(user))


def visible_return_requests(user: User) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(instruction__in=visible_instructions(user))


_R = TypeVar("_R", ExtensionRequest, JoinRequest, ReturnRequest)


def _visible_request(requests: QuerySet[_R], request_id: int, what: str) -> _R:
    request = requests.filter(pk=request_id).select_related("instruction").first()
    if request is None:
        raise NotFound(f"{what}不存在或无权查看", code="unknown_request")
    return request


def access_extension_request_for_leader(user: User, request_id: int) -> ExtensionRequest:
    request = _visible_request(visible_extension_requests(user), request_id, "延期申请")
    if user.role != Role.UNIT_LEADER or request.instruction.unit_id != user.unit_id:
        raise Forbidden("只有本单位主管领导可以审批延期申请")
    return request


def access_extension_request_for_office(user: User, request_id: int) -> ExtensionRequest:
    request = _visible_request(visible_extension_requests(user), request_id, "延期申请")
    require_office(user)
    return request


def access_join_request_for_office(user: User, request_id: int) -> JoinRequest:
    request = _visible_request(visible_join_requests(user), request_id, "提请联动")
    require_office(user)
    return request


def access_return_request_for_office(user: User, request_id: int) -> ReturnRequest:
    request = _visible_request(visible_return_requests(user), request_id, "退回申请")
    require_office(user)
    return request

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

from collections.abc import Sequence
from typing import TypeVar

from django.db.models import Q, QuerySet

from liandong.accounts.models import OFFICE_ROLES, UNIT_ROLES, Role, User
from liandong.common.errors import Forbidden, NotFound
from liandong.incidents import privacy
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES
from liandong.incidents.models import (
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    Notification,
    NotificationAudience,
    ReturnRequest,
)
from liandong.incidents.models import (
    Role as InstructionRole,
)
from liandong.units.models import UnitKind

READ_EVERYTHING = OFFICE_ROLES | {Role.LEADERSHIP, Role.ADMIN}


def is_office(user: User) -> bool:
    return user.is_active and user.role in OFFICE_ROLES


def is_unit_user(user: User) -> bool:
    return user.is_active and user.role in UNIT_ROLES and user.unit_id is not None


def is_unit_leader(user: User) -> bool:
    return is_unit_user(user) and user.role == Role.UNIT_LEADER


def reads_everything(user: User) -> bool:
    """Office, district leadership and administrators read every incident (and the outbox)."""
    return user.is_active and user.role in READ_EVERYTHING


def lands_on_console(user: User) -> bool:
    """The office console is the start page of the office and the district leadership."""
    return reads_everything(user) and user.role != Role.ADMIN


def lands_on_overview(user: User) -> bool:
    """District leadership and the office's supervisors start on the overview."""
    return user.is_active and user.role in (Role.LEADERSHIP, Role.SUPERVISOR)


def may_administer_calendar(user: User) -> bool:
    return user.is_active and (user.role == Role.ADMIN or user.is_superuser)


# --- seats: who may take which kind of action (None: allowed; else the reason why not) ----------

OFFICE_ONLY = "只有区联动办调度员或督办员可以执行此操作"
UNIT_ONLY = "只有承办单位的值班员或主管领导可以执行此操作"
LEADER_ONLY = "只有本单位主管领导可以审批延期申请"


def office_seat(user: User) -> str | None:
    return None if is_office(user) else OFFICE_ONLY


def unit_seat(user: User, instruction: Instruction) -> str | None:
    if is_unit_user(user) and instruction.unit_id == user.unit_id:
        return None
    return UNIT_ONLY


def leader_seat(user: User, instruction: Instruction) -> str | None:
    if is_unit_leader(user) and instruction.unit_id == user.unit_id:
        return None
    return LEADER_ONLY


def is_supervisor(user: User) -> bool:
    return user.is_active and user.role == Role.SUPERVISOR


SUPERVISOR_ONLY = "只有区联动办督办员可以执行此操作"


def supervisor_seat(user: User) -> str | None:
    return None if is_supervisor(user) else SUPERVISOR_ONLY


def unit_leader_seat(user: User, unit_id: int) -> str | None:
    """The leader of this unit (a supervision order is addressed to the unit's leadership)."""
    if is_unit_leader(user) and user.unit_id == unit_id:
        return None
    return "只有承办单位主管领导可以书面回复督办"


def tier_seat(user: User) -> str | None:
    if is_office(user) or (user.is_active and user.role == Role.ADMIN):
        return None
    return "只有区联动办或管理员可以调整单位级别"


def caller_seat(
    user: User, incident: Incident, *, instructions: Sequence[Instruction] | None = None
) -> str | None:
    """Who may see the caller's full name and phone (privacy.reveal_refusal): the office, and
    the people of a unit holding the incident's primary instruction. None: allowed.
    `instructions`: every instruction of the incident, when the caller has them loaded."""
    unit_id = user.unit_id if is_unit_user(user) else None
    holders: set[int] = set()
    if unit_id is not None and instructions is not None:
        holders = {
            i.unit_id
            for i in instructions
            if i.role == InstructionRole.PRIMARY and i.state not in FINAL_INSTRUCTION_VALUES
        }
    elif unit_id is not None:
        holders = set(
            Instruction.objects.filter(incident=incident, role=InstructionRole.PRIMARY)
            .exclude(state__in=FINAL_INSTRUCTION_VALUES)
            .values_list("unit_id", flat=True)
        )
    return privacy.reveal_refusal(
        office=is_office(user),
        unit_id=unit_id,
        primary_holders=holders,
        anonymised=incident.anonymised_at is not None,
    )


def may_reveal_caller(
    user: User, incident: Incident, *, instructions: Sequence[Instruction] | None = None
) -> bool:
    """The screens' question: show a reveal button (and a phone link after it) or not."""
    return caller_seat(user, incident, instructions=instructions) is None


def may_search_by_caller_phone(user: User) -> bool:
    """Finding incidents by the caller's full number is a reveal: the office's only (the
    district leadership and administrators read incidents, not callers)."""
    return is_office(user)


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


def access_incident(user: User, incident_id: str, *, only: Sequence[str] = ()) -> Incident:
    """The incident, if this user may see it (`only`: just these columns, the rest deferred)."""
    visible = visible_incidents(user).filter(incident_id=incident_id)
    incident = (visible.only(*only) if only else visible).first()
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


def _require(refusal: str | None) -> None:
    if refusal is not None:
        raise Forbidden(refusal)


def require_office(user: User) -> None:
    _require(office_seat(user))


def require_reads_everything(user: User, message: str = "只有区联动办可以查看") -> None:
    if not reads_everything(user):
        raise Forbidden(message)


def require_tier_changer(user: User) -> None:
    _require(tier_seat(user))


def require_calendar_administrator(user: User) -> None:
    if not may_administer_calendar(user):
        raise Forbidden("只有系统管理员可以维护节假日安排")


def access_instruction_for_unit_action(user: User, instruction_id: int) -> Instruction:
    """A unit action: the user must belong to the instruction's unit."""
    instruction = access_instruction(user, instruction_id)
    _require(unit_seat(user, instruction))
    return instruction


def access_instruction_for_office_action(user: User, instruction_id: int) -> Instruction:
    instruction = access_instruction(user, instruction_id)
    require_office(user)
    return instruction


def access_incident_for_caller_reveal(user: User, incident_id: str) -> Incident:
    """404 when the incident is not visible, 403 when this person may not see the caller."""
    incident = access_incident(user, incident_id)
    _require(caller_seat(user, incident))
    return incident


def access_incident_for_office_action(user: User, incident_id: str) -> Incident:
    """The incident an office action is about. The action locks and reads its row itself
    (actions/locks.py), so only its key and number are read here: not the whole row with the
    city's request, which the lock would read again."""
    incident = access_incident(user, incident_id, only=("pk", "incident_id"))
    require_office(user)
    return incident


def visible_extension_requests(user: User) -> QuerySet[ExtensionRequest]:
    return _requests_on_visible_instructions(user, ExtensionRequest)


def visible_join_requests(user: User) -> QuerySet[JoinRequest]:
    return _requests_on_visible_instructions(user, JoinRequest)


def visible_return_requests(user: User) -> QuerySet[ReturnRequest]:
    return _requests_on_visible_instructions(user, ReturnRequest)


_M = TypeVar("_M", ExtensionRequest, JoinRequest, ReturnRequest)


def _requests_on_visible_instructions(user: User, model: type[_M]) -> QuerySet[_M]:
    """The requests on the instructions this user sees (all of them for who reads everything:
    no sub-select over every instruction)."""
    if user.is_active and user.role in READ_EVERYTHING:
        return model.objects.all()
    return model.objects.filter(instruction__in=visible_instructions(user))


_R = TypeVar("_R", ExtensionRequest, JoinRequest, ReturnRequest)


def _visible_request(requests: QuerySet[_R], request_id: int, what: str) -> _R:
    request = requests.filter(pk=request_id).select_related("instruction").first()
    if request is None:
        raise NotFound(f"{what}不存在或无权查看", code="unknown_request")
    return request


def access_extension_request_for_leader(user: User, request_id: int) -> ExtensionRequest:
    request = _visible_request(visible_extension_requests(user), request_id, "延期申请")
    _require(leader_seat(user, request.instruction))
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


def co_working_instructions(user: User, incident: Incident) -> QuerySet[Instruction]:
    """Every unit that holds or held a visible incident, so that each unit knows whom it works
    with on site (names, roles and states only: the instructions' content stays with the gate)."""
    if not visible_incidents(user).filter(pk=incident.pk).exists():
        return Instruction.objects.none()
    return Instruction.objects.filter(incident=incident).select_related("unit").order_by("id")


def visible_notifications(user: User) -> QuerySet[Notification]:
    """The notifications a person's bell shows: their unit's (or the office's) notifications for
    everyone, plus those for leaders (a unit leader) or supervisors (a supervisor; district
    leadership reads the supervision proposals too)."""
    if not user.is_active:
        return Notification.objects.none()
    everyone = Q(audience=NotificationAudience.ALL)
    if is_unit_user(user) and user.unit_id is not None:
        mine = (
            everyone | Q(audience=NotificationAudience.LEADERS)
            if is_unit_leader(user)
            else everyone
        )
        return Notification.objects.filter(mine, unit_id=user.unit_id)
    office = Q(unit__kind=UnitKind.OFFICE)
    if is_office(user):
        mine = everyone
        if user.role == Role.SUPERVISOR:
            mine = mine | Q(audience=NotificationAudience.SUPERVISORS)
        return Notification.objects.filter(office & mine)
    if user.role == Role.LEADERSHIP:
        return Notification.objects.filter(office & Q(audience=NotificationAudience.SUPERVISORS))
    return Notification.objects.none()


def access_notification(user: User, pk: int) -> Notification:
    found = visible_notifications(user).filter(pk=pk).select_related("incident").first()
    if found is None:
        raise NotFound("通知不存在或无权查看", code="unknown_notification")
    return found


def notification_target(user: User, notification: Notification) -> str | None:
    """Where a click on a notification leads this person: the instruction's page for its own
    unit, the incident page for the office and leadership; None when there is nothing to open."""
    from django.urls import reverse

    if notification.instruction_id and is_unit_user(user):
        known = getattr(notification, "instruction_visible", None)  # read with the list
        if (
            known
            if known is not None
            else visible_instructions(user).filter(pk=notification.instruction_id).exists()
        ):
            return reverse("unit-instruction", args=[notification.instruction_id])
        return None
    if notification.incident is not None and reads_everything(user):
        return reverse("incident", args=[notification.incident.incident_id])
    return None

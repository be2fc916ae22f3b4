"""The JSON API for people and programs. Handlers are thin: resolve the user's access through the
gate, translate codes to rows, call one action, answer with a selector's view of the result."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, NinjaAPI, Router, Status
from ninja.files import UploadedFile
from ninja.renderers import JSONRenderer

from liandong.accounts.models import User
from liandong.api import errors, schemas
from liandong.api.auth import AUTH
from liandong.citylink import backlog
from liandong.citylink.models import CityReport
from liandong.common.errors import Forbidden, InvalidInput, NotFound
from liandong.incidents import access, actions, selectors
from liandong.incidents.models import Attachment
from liandong.sla.models import HolidayYear
from liandong.sla.services import do_save_holiday_year
from liandong.units.models import Category, TierChange, Unit
from liandong.units.services import do_change_unit_tier, unit_by_code, units_by_codes


class ChineseJSONRenderer(JSONRenderer):
    """Chinese text stays readable in the JSON (UTF-8), not \\u-escaped."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="联动 — 于洪区110非警务警情联动处置平台 API",
    version="1",
    urls_namespace="api-v1",
    auth=AUTH,
    description=(
        "区安管平台的业务接口。人员使用浏览器会话（需CSRF令牌），程序使用 `Authorization: Bearer <令牌>`。"
        "所有时间均为带时区的 RFC 3339 字符串（北京时间 +08:00）。"
        '错误统一为 `{"error": {"code", "message", "fields": [...]}}`：422 表示字段有误，'
        "409 表示当前状态不允许该操作，403 表示无权操作，404 表示不存在或无权查看。"
    ),
)
errors.install(api)

ERRORS: dict[int, type[schemas.ErrorOut]] = {
    400: schemas.ErrorOut,
    401: schemas.ErrorOut,
    403: schemas.ErrorOut,
    404: schemas.ErrorOut,
    409: schemas.ErrorOut,
    422: schemas.ErrorOut,
}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise InvalidInput.one("category", "unknown_category", f"事项类别「{code}」不存在")
    return category


def _incident_out(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    user = _user(request)
    return selectors.incident_detail(user, access.access_incident(user, incident_id))


def _instruction_out(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    user = _user(request)
    instruction = access.access_instruction(user, instruction_id)
    return selectors.instruction_dict(instruction)


# --- me and reference data -------------------------------------------------------------------

me = Router(tags=["账户"])


@me.get("/me", summary="当前用户")
def whoami(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    return {
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "unit": selectors.unit_ref(user.unit),
    }


@me.get("/notifications", summary="本单位（或区联动办）的通知")
def notifications(
    request: HttpRequest, unread_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    return selectors.notifications_for(
        _user(request), unread_only=unread_only, limit=max(1, min(limit, 200))
    )


reference = Router(tags=["基础数据"])


@reference.get("/units", summary="单位列表（含联动级别）")
def list_units(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": u.code,
            "name": u.name,
            "kind": u.kind,
            "tier": u.tier,
            "street_code": u.street_code,
            "aliases": u.aliases,
            "active": u.active,
        }
        for u in Unit.objects.order_by("tier", "id")
    ]


@reference.get("/units/{code}/tier-history", summary="单位级别调整记录")
def tier_history(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound("单位不存在", code="unknown_unit")
    return [
        {
            "from_tier": c.from_tier,
            "to_tier": c.to_tier,
            "effective_at": selectors.iso(c.effective_at),
            "reason": c.reason,
            "changed_by": c.changed_by.display_name if c.changed_by else "系统",
        }
        for c in TierChange.objects.filter(unit=unit).select_related("changed_by")
    ]


@reference.post(
    "/units/{code}/tier", summary="调整单位级别（区联动办、管理员）", response={200: dict, **ERRORS}
)
def change_tier(request: HttpRequest, code: str, payload: schemas.TierChangeIn) -> dict[str, Any]:
    user = _user(request)
    if not (access.is_office(user) or user.role == "admin"):
        raise Forbidden("只有区联动办或管理员可以调整单位级别")
    unit = unit_by_code("code", code)
    do_change_unit_tier(actor=user, unit=unit, tier=payload.tier, reason=payload.reason)
    return {"code": unit.code, "tier": unit.tier}


@reference.get("/catalogue", summary="职责清单")
def catalogue(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "covers": c.covers,
            "primary_unit": c.primary_unit.code if c.primary_unit else None,
            "primary_is_street": c.primary_is_street,
            "cooperating_units": [u.code for u in c.cooperating_units.all()],
            "street_joins": c.street_joins,
            "escalates_when": c.escalates_when,
        }
        for c in Category.objects.filter(active=True)
        .select_related("primary_unit")
        .prefetch_related("cooperating_units")
    ]


@reference.get("/calendar", summary="节假日安排")
def calendar_years(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "year": y.year,
            "holidays": y.holidays,
            "makeup_workdays": y.makeup_workdays,
            "source": y.source,
        }
        for y in HolidayYear.objects.all()
    ]


@reference.put(
    "/calendar/{year}",
    summary="录入或更正一年的节假日安排（管理员）",
    response={200: dict, **ERRORS},
)
def put_calendar_year(
    request: HttpRequest, year: int, payload: schemas.HolidayYearIn
) -> dict[str, Any]:
    user = _user(request)
    if user.role != "admin" and not user.is_superuser:
        raise Forbidden("只有系统管理员可以维护节假日安排")
    row = do_save_holiday_year(
        year=year,
        holidays=payload.holidays,
        makeup_workdays=payload.makeup_workdays,
        source=payload.source,
    )
    return {"year": row.year, "holidays": row.holidays, "makeup_workdays": row.makeup_workdays}


# --- incidents -------------------------------------------------------------------------------

incidents = Router(tags=["警情"])


@incidents.get("", response=schemas.IncidentPage, summary="警情列表")
def list_incidents(
    request: HttpRequest, status: str | None = None, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    count, items = selectors.list_incidents(
        _user(request), status=status, limit=max(1, min(limit, 200)), offset=max(0, offset)
    )
    return {"count": count, "items": items}


@incidents.post(
    "", response={201: schemas.IncidentOut, **ERRORS}, summary="人工录入警情（区联动办）"
)
def create_incident(request: HttpRequest, payload: schemas.ManualIncidentIn) -> Status:
    user = _user(request)
    access.require_office(user)
    incident = actions.do_create_manual_incident(actor=user, **payload.dict())
    return Status(201, _incident_out(request, incident.incident_id))


@incidents.get("/{incident_id}", response={200: schemas.IncidentOut, **ERRORS}, summary="警情详情")
def get_incident(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    return _incident_out(request, incident_id)


@incidents.get(
    "/{incident_id}/timeline",
    response={200: list[schemas.EventOut], **ERRORS},
    summary="警情时间线",
)
def get_timeline(request: HttpRequest, incident_id: str) -> list[dict[str, Any]]:
    user = _user(request)
    return selectors.timeline(user, access.access_incident(user, incident_id))


@incidents.get(
    "/{incident_id}/proposal",
    response={200: schemas.ProposalOut, **ERRORS},
    summary="按职责清单提出派发建议",
)
def get_proposal(request: HttpRequest, incident_id: str, category: str) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident(user, incident_id)
    if user.role not in access.READ_EVERYTHING:
        raise Forbidden("派发建议只供区联动办研判使用")
    return selectors.triage_proposal(incident, _category(category))


@incidents.post(
    "/{incident_id}/dispatch", response={200: schemas.IncidentOut, **ERRORS}, summary="研判并派发"
)
def dispatch(request: HttpRequest, incident_id: str, payload: schemas.DispatchIn) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_dispatch_incident(
        actor=user,
        incident=incident,
        incident_class=payload.incident_class,
        level=payload.level,
        category=_category(payload.category),
        primary_unit=unit_by_code("primary_unit", payload.primary_unit),
        cooperating_units=units_by_codes("cooperating_units", payload.cooperating_units),
        street=unit_by_code("street", payload.street) if payload.street else None,
        note=payload.note,
    )
    return _incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/return-to-city",
    response={200: schemas.IncidentOut, **ERRORS},
    summary="退回市平台（非本区事项）",
)
def return_to_city(
    request: HttpRequest, incident_id: str, payload: schemas.ReasonIn
) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_return_to_city(actor=user, incident=incident, reason=payload.reason)
    return _incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/merge",
    response={200: schemas.IncidentOut, **ERRORS},
    summary="作为重复警情合并",
)
def merge(request: HttpRequest, incident_id: str, payload: schemas.MergeIn) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    target = access.visible_incidents(user).filter(incident_id=payload.into).first()
    if target is None:
        raise InvalidInput.one("into", "unknown_incident", f"警情「{payload.into}」不存在")
    actions.do_merge_incident(actor=user, incident=incident, into=target)
    return _incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/units", response={200: schemas.IncidentOut, **ERRORS}, summary="增派协同单位"
)
def add_units(
    request: HttpRequest, incident_id: str, payload: schemas.AddUnitsIn
) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_add_units(
        actor=user,
        incident=incident,
        units=units_by_codes("units", payload.units),
        reason=payload.reason,
    )
    return _incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/close", response={200: schemas.IncidentOut, **ERRORS}, summary="办结"
)
def close(request: HttpRequest, incident_id: str, payload: schemas.CloseIn) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_close_incident(actor=user, incident=incident, outcome=payload.outcome)
    return _incident_out(request, incident_id)


@incidents.post(
    "/{incident_id}/callbacks", response={201: schemas.IncidentOut, **ERRORS}, summary="回访报警人"
)
def call_back(request: HttpRequest, incident_id: str, payload: schemas.CallBackIn) -> Status:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_record_call_back(
        actor=user,
        incident=incident,
        satisfaction=payload.satisfaction,
        note=payload.note,
        reopen=payload.reopen,
    )
    return Status(201, _incident_out(request, incident_id))


@incidents.post(
    "/{incident_id}/withdraw",
    response={200: schemas.IncidentOut, **ERRORS},
    summary="市平台撤回：停止全部处置",
)
def withdraw(request: HttpRequest, incident_id: str, payload: schemas.WithdrawIn) -> dict[str, Any]:
    user = _user(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    actions.do_withdraw_incident(
        actor=user, incident=incident, reason=payload.reason, by_city=False
    )
    return _incident_out(request, incident_id)


# --- instructions ----------------------------------------------------------------------------

instructions = Router(tags=["指令"])


@instructions.get(
    "", response=schemas.InstructionPage, summary="指令列表（单位用户只看到本单位的）"
)
def list_instructions(
    request: HttpRequest,
    open_only: bool = False,
    unit: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    count, items = selectors.list_instructions(
        _user(request),
        open_only=open_only,
        unit=unit,
        limit=max(1, min(limit, 200)),
        offset=max(0, offset),
    )
    return {"count": count, "items": items}


@instructions.get(
    "/{instruction_id}", response={200: schemas.InstructionOut, **ERRORS}, summary="指令详情"
)
def get_instruction(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    return _instruction_out(request, instruction_id)


def _unit_instruction(request: HttpRequest, instruction_id: int) -> tuple[User, Any]:
    user = _user(request)
    return user, access.access_instruction_for_unit_action(user, instruction_id)


def _office_instruction(request: HttpRequest, instruction_id: int) -> tuple[User, Any]:
    user = _user(request)
    return user, access.access_instruction_for_office_action(user, instruction_id)


@instructions.post(
    "/{instruction_id}/sign", response={200: schemas.InstructionOut, **ERRORS}, summary="签收"
)
def sign(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_sign_instruction(actor=user, instruction=instruction)
    return _instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/caller-contacts",
    response={201: schemas.InstructionOut, **ERRORS},
    summary="记录联系报警人",
)
def caller_contact(
    request: HttpRequest, instruction_id: int, payload: schemas.CallerContactIn
) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_record_caller_contact(
        actor=user,
        instruction=instruction,
        reached=payload.reached,
        contacted_at=payload.contacted_at,
        note=payload.note,
    )
    return Status(201, _instruction_out(request, instruction_id))


@instructions.post(
    "/{instruction_id}/feedback",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="首次反馈（现场/初步）",
)
def feedback(
    request: HttpRequest, instruction_id: int, payload: schemas.FeedbackIn
) -> dict[str, Any]:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_give_feedback(actor=user, instruction=instruction, text=payload.text)
    return _instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/result",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="反馈处置结果",
)
def result(request: HttpRequest, instruction_id: int, payload: schemas.ResultIn) -> dict[str, Any]:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_report_result(
        actor=user,
        instruction=instruction,
        outcome=payload.outcome,
        text=payload.text,
        attachment_ids=payload.attachment_ids,
    )
    return _instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/attachments", response={201: dict, **ERRORS}, summary="上传照片或扫描件"
)
def upload(request: HttpRequest, instruction_id: int, file: File[UploadedFile]) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    attachment = actions.do_upload_attachment(
        actor=user,
        instruction=instruction,
        name=file.name or "附件",
        content_type=file.content_type or "application/octet-stream",
        data=file.read(),
    )
    return Status(
        201, {"id": attachment.pk, "name": attachment.original_name, "size": attachment.size}
    )


@instructions.get(
    "/{instruction_id}/attachments/{attachment_id}",
    summary="下载附件",
    response={200: None, **ERRORS},
)
def download(request: HttpRequest, instruction_id: int, attachment_id: int) -> FileResponse:
    user = _user(request)
    instruction = access.access_instruction(user, instruction_id)
    attachment = Attachment.objects.filter(pk=attachment_id, instruction=instruction).first()
    if attachment is None:
        raise NotFound("附件不存在", code="unknown_attachment")
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )


@instructions.post(
    "/{instruction_id}/return",
    response={201: schemas.RequestOut, **ERRORS},
    summary="退回指令（非本单位职责）",
)
def request_return(request: HttpRequest, instruction_id: int, payload: schemas.ReasonIn) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    created = actions.do_request_return(actor=user, instruction=instruction, reason=payload.reason)
    return Status(201, selectors.request_dict(created))


@instructions.post(
    "/{instruction_id}/join-requests",
    response={201: schemas.RequestOut, **ERRORS},
    summary="提请联动",
)
def request_join(
    request: HttpRequest, instruction_id: int, payload: schemas.JoinRequestIn
) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    created = actions.do_request_join(
        actor=user,
        instruction=instruction,
        units=units_by_codes("units", payload.units),
        reason=payload.reason,
    )
    return Status(201, selectors.request_dict(created))


@instructions.post(
    "/{instruction_id}/extension-requests",
    response={201: schemas.RequestOut, **ERRORS},
    summary="进展报告与延期申请",
)
def request_extension(
    request: HttpRequest, instruction_id: int, payload: schemas.ExtensionRequestIn
) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    created = actions.do_request_extension(
        actor=user,
        instruction=instruction,
        progress=payload.progress,
        reason=payload.reason,
        proposed_due_at=payload.proposed_due_at,
        document_id=payload.document_id,
    )
    return Status(201, selectors.request_dict(created))


@instructions.post(
    "/{instruction_id}/urge", response={201: schemas.InstructionOut, **ERRORS}, summary="催办"
)
def urge(request: HttpRequest, instruction_id: int, payload: schemas.NoteIn) -> Status:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_urge_instruction(actor=user, instruction=instruction, note=payload.note)
    return Status(201, _instruction_out(request, instruction_id))


@instructions.post(
    "/{instruction_id}/reassign",
    response={201: schemas.InstructionOut, **ERRORS},
    summary="改派（返回新指令）",
)
def reassign(request: HttpRequest, instruction_id: int, payload: schemas.ReassignIn) -> Status:
    user, instruction = _office_instruction(request, instruction_id)
    new = actions.do_reassign_instruction(
        actor=user,
        instruction=instruction,
        unit=unit_by_code("unit", payload.unit),
        reason=payload.reason,
    )
    return Status(201, _instruction_out(request, new.pk))


@instructions.post(
    "/{instruction_id}/accept-result",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="审核通过处置结果",
)
def accept_result(
    request: HttpRequest, instruction_id: int, payload: schemas.NoteIn
) -> dict[str, Any]:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_accept_result(actor=user, instruction=instruction, note=payload.note)
    return _instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/send-back-result",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="退回处置结果",
)
def send_back_result(
    request: HttpRequest, instruction_id: int, payload: schemas.ReasonIn
) -> dict[str, Any]:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_send_back_result(actor=user, instruction=instruction, reason=payload.reason)
    return _instruction_out(request, instruction_id)


# --- requests waiting for a decision -----------------------------------------------------------

decisions = Router(tags=["待审核事项"])


@decisions.get("/pending", response=schemas.PendingOut, summary="待我处理的审核事项")
def pending(request: HttpRequest) -> dict[str, Any]:
    return selectors.pending_decisions(_user(request))


@decisions.post(
    "/return-requests/{request_id}/decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="审核退回：改派或维持",
)
def decide_return(
    request: HttpRequest, request_id: int, payload: schemas.ReturnDecisionIn
) -> dict[str, Any]:
    user = _user(request)
    ret = access.access_return_request_for_office(user, request_id)
    unit = unit_by_code("unit", payload.unit) if payload.decision == "reassign" else None
    decided = actions.do_decide_return_request(
        actor=user, request=ret, reassign_to=unit, note=payload.note
    )
    return selectors.request_dict(decided)


@decisions.post(
    "/join-requests/{request_id}/decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="审核提请联动",
)
def decide_join(
    request: HttpRequest, request_id: int, payload: schemas.JoinDecisionIn
) -> dict[str, Any]:
    user = _user(request)
    join = access.access_join_request_for_office(user, request_id)
    units = units_by_codes("units", payload.units) if payload.units is not None else None
    decided = actions.do_decide_join_request(
        actor=user, request=join, approve=payload.approve, units=units, note=payload.note
    )
    return selectors.request_dict(decided)


@decisions.post(
    "/extension-requests/{request_id}/leader-decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="单位主管领导审批延期申请",
)
def leader_decide_extension(
    request: HttpRequest, request_id: int, payload: schemas.DecisionIn
) -> dict[str, Any]:
    user = _user(request)
    ext = access.access_extension_request_for_leader(user, request_id)
    decided = actions.do_leader_decide_extension(
        actor=user, request=ext, approve=payload.approve, note=payload.note
    )
    return selectors.request_dict(decided)


@decisions.post(
    "/extension-requests/{request_id}/decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="区联动办审核延期申请",
)
def decide_extension(
    request: HttpRequest, request_id: int, payload: schemas.ExtensionDecisionIn
) -> dict[str, Any]:
    user = _user(request)
    ext = access.access_extension_request_for_office(user, request_id)
    decided = actions.do_decide_extension(
        actor=user, request=ext, grant=payload.grant, note=payload.note, due_at=payload.due_at
    )
    return selectors.request_dict(decided)


api.add_router("", me)
api.add_router("", reference)
api.add_router("/incidents", incidents)
api.add_router("/instructions", instructions)
api.add_router("", decisions)


# --- reports to the city (the outbox) ----------------------------------------------------------

city_reports = Router(tags=["上报市平台"])


@city_reports.get("/backlog", summary="上报积压：待发送、发送失败、已搁置及最早一条")
def report_backlog(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    if user.role not in access.READ_EVERYTHING:
        raise Forbidden("只有区联动办可以查看上报情况")
    return backlog.backlog()


@city_reports.get("", summary="上报记录（state: waiting / failing / parked / delivered）")
def report_list(
    request: HttpRequest, state: str | None = None, incident_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    user = _user(request)
    if user.role not in access.READ_EVERYTHING:
        raise Forbidden("只有区联动办可以查看上报情况")
    return backlog.reports(state=state, incident_id=incident_id, limit=max(1, min(limit, 500)))


@city_reports.post(
    "/{report_pk}/resend", response={200: dict, **ERRORS}, summary="重新发送已搁置的报告"
)
def report_resend(request: HttpRequest, report_pk: int) -> dict[str, Any]:
    user = _user(request)
    access.require_office(user)
    report = CityReport.objects.filter(pk=report_pk).select_related("incident").first()
    if report is None:
        raise NotFound("报告不存在", code="unknown_report")
    return backlog.report_dict(backlog.do_resend_report(report=report))


api.add_router("/city-reports", city_reports)

"""What waits for a decision (returns, joins, extensions, results) and the reports to the city."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from liandong.api import schemas
from liandong.api.common import ERRORS, user_of
from liandong.citylink import actions as citylink_actions
from liandong.citylink import backlog
from liandong.citylink.models import CityReport
from liandong.common.errors import NotFound
from liandong.incidents import access, actions, selectors
from liandong.units.selectors import unit_by_code, units_by_codes

# --- requests waiting for a decision -----------------------------------------------------------

decisions = Router(tags=["待审核事项"])


@decisions.get("/pending", response=schemas.PendingOut, summary="待我处理的审核事项")
def pending(request: HttpRequest) -> dict[str, Any]:
    return selectors.pending_decisions(user_of(request))


@decisions.post(
    "/return-requests/{request_id}/decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="审核退回：改派或维持",
)
def decide_return(
    request: HttpRequest, request_id: int, payload: schemas.ReturnDecisionIn
) -> dict[str, Any]:
    user = user_of(request)
    ret = access.access_return_request_for_office(user, request_id)
    unit = unit_by_code("unit", payload.unit) if payload.decision == "reassign" else None
    decided = actions.do_decide_return_request(
        actor=user, request=ret, reassign_to=unit, note=payload.note
    )
    return selectors.request_dict(user, decided)


@decisions.post(
    "/join-requests/{request_id}/decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="审核提请联动",
)
def decide_join(
    request: HttpRequest, request_id: int, payload: schemas.JoinDecisionIn
) -> dict[str, Any]:
    user = user_of(request)
    join = access.access_join_request_for_office(user, request_id)
    units = units_by_codes("units", payload.units) if payload.units is not None else None
    decided = actions.do_decide_join_request(
        actor=user, request=join, approve=payload.approve, units=units, note=payload.note
    )
    return selectors.request_dict(user, decided)


@decisions.post(
    "/extension-requests/{request_id}/leader-decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="单位主管领导审批延期申请",
)
def leader_decide_extension(
    request: HttpRequest, request_id: int, payload: schemas.DecisionIn
) -> dict[str, Any]:
    user = user_of(request)
    ext = access.access_extension_request_for_leader(user, request_id)
    decided = actions.do_leader_decide_extension(
        actor=user, request=ext, approve=payload.approve, note=payload.note
    )
    return selectors.request_dict(user, decided)


@decisions.post(
    "/extension-requests/{request_id}/decision",
    response={200: schemas.RequestOut, **ERRORS},
    summary="区联动办审核延期申请",
)
def decide_extension(
    request: HttpRequest, request_id: int, payload: schemas.ExtensionDecisionIn
) -> dict[str, Any]:
    user = user_of(request)
    ext = access.access_extension_request_for_office(user, request_id)
    decided = actions.do_decide_extension(
        actor=user, request=ext, grant=payload.grant, note=payload.note, due_at=payload.due_at
    )
    return selectors.request_dict(user, decided)


# --- reports to the city (the outbox) ----------------------------------------------------------

city_reports = Router(tags=["上报市平台"])


@city_reports.get("/backlog", summary="上报积压：待发送、发送失败、已搁置及最早一条")
def report_backlog(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    access.require_reads_everything(user, "只有区联动办可以查看上报情况")
    return backlog.backlog()


@city_reports.get("", summary="上报记录（state: waiting / failing / parked / delivered）")
def report_list(
    request: HttpRequest, state: str | None = None, incident_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    user = user_of(request)
    access.require_reads_everything(user, "只有区联动办可以查看上报情况")
    return backlog.reports(
        user, state=state, incident_id=incident_id, limit=max(1, min(limit, 500))
    )


@city_reports.post(
    "/{report_pk}/resend", response={200: dict, **ERRORS}, summary="重新发送已搁置的报告"
)
def report_resend(request: HttpRequest, report_pk: int) -> dict[str, Any]:
    user = user_of(request)
    access.require_office(user)
    report = CityReport.objects.filter(pk=report_pk).select_related("incident").first()
    if report is None:
        raise NotFound("报告不存在", code="unknown_report")
    resent = citylink_actions.do_resend_report(actor=user, report=report)
    return backlog.report_dict(resent, user)

"""The office console: intake queue, deadline board, incident page, decisions, city reports.

Views are thin: the access gate decides, an action writes, a selector reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, Min, Prefetch, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liandong import clock
from liandong.accounts.models import User
from liandong.citylink import backlog
from liandong.citylink.models import CityReport, ReportState
from liandong.common.errors import InvalidInput
from liandong.incidents import access, actions, selectors
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_STATES
from liandong.incidents.models import (
    Deadline,
    DeadlineState,
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    Level,
    ReturnRequest,
)
from liandong.sla.services import warning_shares
from liandong.units.models import Category, Unit, UnitKind
from liandong.units.services import suggest_category
from liandong.web.common import (
    BoardRow,
    board_row,
    local_time,
    login_required_for,
    optional_unit,
    run_action,
    unit_from,
    units_from,
    user_of,
)


def _reads_everything(user: User) -> bool:
    return user.role in access.READ_EVERYTHING


office_page = login_required_for(_reads_everything)


def _counts() -> dict[str, int]:
    pending = "pending_office"
    return {
        "intake": Incident.objects.filter(status="new").count(),
        "decisions": ReturnRequest.objects.filter(state=pending).count()
        + JoinRequest.objects.filter(state=pending).count()
        + ExtensionRequest.objects.filter(state=pending).count()
        + Instruction.objects.filter(state="result_reported").count(),
        "parked": CityReport.objects.filter(state=ReportState.PARKED).count(),
    }


def _page(request: HttpRequest, template: str, tab: str, **context: Any) -> HttpResponse:
    counts = _counts()
    return render(
        request,
        template,
        {
            "tab": tab,
            "counts": counts,
            "intake_count": counts["intake"],
            "is_office": access.is_office(user_of(request)),
            **context,
        },
    )


def _intake() -> list[Incident]:
    return list(Incident.objects.filter(status="new").order_by("accepted_at", "id")[:200])


def _linkage_units() -> list[Unit]:
    return list(
        Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], active=True).order_by(
            "tier", "id"
        )
    )


BOARD_ROWS = 50
BOARD_ROWS_ALL = 300


def _board(request: HttpRequest) -> tuple[list[BoardRow], int, dict[str, str]]:
    """Open instructions ordered in the database by their nearest running deadline (or by
    dispatch time), filtered; returns the rows to show, how many there are, and the filters."""
    filters = {k: request.GET.get(k, "") for k in ("unit", "level", "category", "street", "sort")}
    qs = Instruction.objects.exclude(state__in=[str(s) for s in FINAL_INSTRUCTION_STATES])
    if filters["unit"]:
        qs = qs.filter(unit__code=filters["unit"])
    if filters["level"] in ("1", "2"):
        qs = qs.filter(level=int(filters["level"]))
    if filters["category"]:
        qs = qs.filter(incident__category__code=filters["category"])
    if filters["street"]:
        qs = qs.filter(incident__street__code=filters["street"])
    total = qs.count()
    if filters["sort"] == "dispatched":
        qs = qs.order_by("-dispatched_at", "-id")
    else:
        qs = qs.annotate(
            next_due=Min("deadlines__due_at", filter=Q(deadlines__state=DeadlineState.OPEN))
        ).order_by(F("next_due").asc(nulls_last=True), "id")
    limit = BOARD_ROWS_ALL if request.GET.get("all") else BOARD_ROWS
    page = qs.select_related("incident", "unit", "incident__category").prefetch_related(
        Prefetch("deadlines", queryset=Deadline.objects.filter(state=DeadlineState.OPEN))
    )[:limit]
    now, shares = clock.now(), warning_shares()
    return [board_row(inst, now, shares[inst.level]) for inst in page], total, filters


@office_page
def console(request: HttpRequest) -> HttpResponse:
    rows, total, filters = _board(request)
    return _page(
        request,
        "web/office/console.html",
        "console",
        intake=_intake(),
        rows=rows,
        total_rows=total,
        filters=filters,
        units=_linkage_units(),
        categories=Category.objects.filter(active=True),
        streets=Unit.objects.filter(kind=UnitKind.STREET),
    )


@office_page
def live(request: HttpRequest) -> JsonResponse:
    """What the console refreshes every second: the intake queue and the counters."""
    return JsonResponse(
        {
            "intake": [
                {
                    "incident_id": i.incident_id,
                    "address": i.address,
                    "content": i.content[:60],
                    "urgency_label": {"urgent": "紧急", "normal": ""}.get(i.suggested_urgency, ""),
                    "accepted_epoch": int(i.accepted_at.timestamp()),
                    "url": reverse("incident", args=[i.incident_id]),
                }
                for i in _intake()
            ],
            "counts": _counts(),
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _pending_requests(incident: Incident) -> list[dict[str, Any]]:
    """Requests on the incident's instructions that wait for someone, for the instruction cards."""
    waiting = ["pending_leader", "pending_office"]
    found: list[dict[str, Any]] = []
    for model, label in (
        (ExtensionRequest, "延期申请"),
        (JoinRequest, "提请联动"),
        (ReturnRequest, "退回申请"),
    ):
        for r in model.objects.filter(instruction__incident=incident, state__in=waiting):  # type: ignore[attr-defined]
            found.append(
                {
                    "instruction_id": r.instruction_id,
                    "label": f"{label}·{r.get_state_display()}",
                    "reason": r.reason,
                }
            )
    return found


@office_page
def incident_page(request: HttpRequest, incident_id: str) -> HttpResponse:
    user = user_of(request)
    incident = access.access_incident(user, incident_id)
    detail = selectors.incident_detail(user, incident)
    instructions = list(
        Instruction.objects.filter(incident=incident)
        .select_related("unit")
        .prefetch_related("deadlines", "caller_contacts", "attachments")
        .order_by("id")
    )
    suggested = incident.category or suggest_category(incident.content)
    proposal = selectors.triage_proposal(incident, suggested) if suggested else None
    proposal_codes = [u["code"] for u in proposal["cooperating_units"]] if proposal else []
    open_incidents = (
        Incident.objects.filter(status__in=["new", "dispatched"])
        .exclude(pk=incident.pk)
        .order_by("-received_at")[:50]
        if incident.status == "new"
        else []
    )
    return _page(
        request,
        "web/office/incident.html",
        "console",
        incident=incident,
        detail=detail,
        instructions=instructions,
        shares=warning_shares(),
        timeline=[
            {**e, "when": datetime.fromisoformat(e["occurred_at"])}
            for e in selectors.timeline(user, incident)
        ],
        reports=backlog.reports(incident_id=incident.incident_id, limit=200)[::-1],
        categories=Category.objects.filter(active=True),
        # the proposed cooperating units first, so they are in view in the list
        units=sorted(_linkage_units(), key=lambda u: u.code not in proposal_codes),
        streets=Unit.objects.filter(kind=UnitKind.STREET),
        suggested=suggested,
        proposal=proposal,
        proposal_codes=proposal_codes,
        pending_requests=_pending_requests(incident),
        open_incidents=open_incidents,
        levels=Level.choices,
        now=clock.now(),
    )


@office_page
@require_POST
def reveal_phone(request: HttpRequest, incident_id: str) -> JsonResponse:
    user = user_of(request)
    incident = access.access_incident(user, incident_id)
    actions.do_record_phone_reveal(actor=user, incident=incident)
    return JsonResponse({"caller_phone": incident.caller_phone})


def _incident_handlers(
    request: HttpRequest, user: User, incident: Incident
) -> dict[str, tuple[Any, str]]:
    post = request.POST

    def dispatch() -> None:
        category = Category.objects.filter(code=post.get("category", "")).first()
        if category is None:
            raise InvalidInput.one("category", "required", "请选择事项类别")
        level = post.get("level", "")
        actions.do_dispatch_incident(
            actor=user,
            incident=incident,
            incident_class=post.get("incident_class", ""),
            level=int(level) if level.isdigit() else 0,
            category=category,
            primary_unit=unit_from(request, "primary_unit"),
            cooperating_units=units_from(request, "cooperating_units"),
            street=optional_unit(request, "street"),
            note=post.get("note", ""),
        )

    def merge() -> None:
        target = Incident.objects.filter(incident_id=post.get("into", "")).first()
        if target is None:
            raise InvalidInput.one("into", "required", "请选择要合并到的警情")
        actions.do_merge_incident(actor=user, incident=incident, into=target)

    return {
        "dispatch": (dispatch, "已派发"),
        "return-to-city": (
            lambda: actions.do_return_to_city(
                actor=user, incident=incident, reason=post.get("reason", "")
            ),
            "已退回市平台",
        ),
        "merge": (merge, "已合并为重复警情"),
        "add-units": (
            lambda: actions.do_add_units(
                actor=user,
                incident=incident,
                units=units_from(request, "units"),
                reason=post.get("reason", ""),
            ),
            "已增派",
        ),
        "close": (
            lambda: actions.do_close_incident(
                actor=user, incident=incident, outcome=post.get("outcome", "")
            ),
            "已办结",
        ),
        "callback": (
            lambda: actions.do_record_call_back(
                actor=user,
                incident=incident,
                satisfaction=post.get("satisfaction", ""),
                note=post.get("note", ""),
                reopen=post.get("reopen") == "on",
            ),
            "已记录回访",
        ),
        "withdraw": (
            lambda: actions.do_withdraw_incident(
                actor=user, incident=incident, reason=post.get("reason", ""), by_city=False
            ),
            "已撤回，全部处置已停止",
        ),
    }


@office_page
@require_POST
def incident_action(request: HttpRequest, incident_id: str, action: str) -> HttpResponse:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    handlers = _incident_handlers(request, user, incident)
    if action not in handlers:
        return redirect("incident", incident_id)
    call, done = handlers[action]
    return run_action(request, reverse("incident", args=[incident_id]), call, done)


@office_page
@require_POST
def instruction_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    inst = access.access_instruction_for_office_action(user, pk)
    post = request.POST
    handlers = {
        "urge": (
            lambda: actions.do_urge_instruction(
                actor=user, instruction=inst, note=post.get("note", "")
            ),
            "已催办",
        ),
        "reassign": (
            lambda: actions.do_reassign_instruction(
                actor=user,
                instruction=inst,
                unit=unit_from(request, "unit"),
                reason=post.get("reason", ""),  # type: ignore[arg-type]
            ),
            "已改派",
        ),
        "accept": (
            lambda: actions.do_accept_result(
                actor=user, instruction=inst, note=post.get("note", "")
            ),
            "处置结果已审核通过",
        ),
        "send-back": (
            lambda: actions.do_send_back_result(
                actor=user, instruction=inst, reason=post.get("reason", "")
            ),
            "处置结果已退回",
        ),
    }
    back = post.get("next") or reverse("incident", args=[inst.incident.incident_id])
    if action not in handlers:
        return redirect(back)
    call, done = handlers[action]
    return run_action(request, back, call, done)


@office_page
def decisions(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "web/office/decisions.html",
        "decisions",
        pending=selectors.pending_decisions(user_of(request)),
        units=_linkage_units(),
    )


@office_page
@require_POST
def decide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = user_of(request)
    post = request.POST
    back = post.get("next") or reverse("decisions")
    if kind == "return":
        ret = access.access_return_request_for_office(user, pk)
        reassign = post.get("decision") == "reassign"
        return run_action(
            request,
            back,
            lambda: actions.do_decide_return_request(
                actor=user,
                request=ret,
                reassign_to=unit_from(request, "unit") if reassign else None,
                note=post.get("note", ""),
            ),
            "已改派" if reassign else "已维持原派发",
        )
    if kind == "join":
        join = access.access_join_request_for_office(user, pk)
        approve = post.get("decision") == "approve"
        return run_action(
            request,
            back,
            lambda: actions.do_decide_join_request(
                actor=user,
                request=join,
                approve=approve,
                units=units_from(request, "units") if approve else None,
                note=post.get("note", ""),
            ),
            "已同意增派" if approve else "已不同意",
        )
    ext = access.access_extension_request_for_office(user, pk)
    grant = post.get("decision") == "grant"
    return run_action(
        request,
        back,
        lambda: actions.do_decide_extension(
            actor=user,
            request=ext,
            grant=grant,
            note=post.get("note", ""),
            due_at=local_time(request, "due_at", required=False),
        ),
        "已同意延期" if grant else "已不同意延期",
    )


@office_page
def incident_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    qs = Incident.objects.select_related("category").order_by("-received_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(incident_id__icontains=q) | Q(address__icontains=q) | Q(content__icontains=q)
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return _page(
        request,
        "web/office/incidents.html",
        "incidents",
        incidents=page.object_list,
        page=page,
        q=q,
        status=status,
        statuses=Incident._meta.get_field("status").choices,
    )


@office_page
def city_reports(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    return _page(
        request,
        "web/office/reports.html",
        "reports",
        backlog=backlog.backlog(),
        reports=backlog.reports(state=state or None, limit=200),
        state=state,
    )


@office_page
@require_POST
def resend_report(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_office(user_of(request))
    report = CityReport.objects.filter(pk=pk).first()
    if report is None:
        return redirect("city-reports")
    return run_action(
        request,
        reverse("city-reports"),
        lambda: backlog.do_resend_report(report=report),
        "已重新排队发送",
    )


@office_page
def new_incident(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        access.require_office(user)
        created: list[Incident] = []

        def create() -> None:
            created.append(
                actions.do_create_manual_incident(
                    actor=user,
                    caller_phone=request.POST.get("caller_phone", ""),
                    caller_name=request.POST.get("caller_name", ""),
                    address=request.POST.get("address", ""),
                    content=request.POST.get("content", ""),
                    police_dispatched=request.POST.get("police_dispatched") == "on",
                )
            )

        response = run_action(request, reverse("new-incident"), create, "已录入")
        return redirect("incident", created[0].incident_id) if created else response
    return _page(request, "web/office/new_incident.html", "console")

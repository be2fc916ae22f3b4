"""The office console: intake queue, deadline board, incident search, city reports.

Views are thin: the access gate decides (every list starts from its querysets), an action writes,
a selector reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liandong import clock
from liandong.accounts.models import User
from liandong.citylink import actions as citylink_actions
from liandong.citylink import backlog
from liandong.citylink.models import CityReport, ReportAttempt
from liandong.common import live_signal
from liandong.incidents import access
from liandong.incidents.actions.intake import CLAIM_MINUTES
from liandong.incidents.actions.kernel import actor_label
from liandong.incidents.lifecycle import (
    IncidentStatus,
)
from liandong.incidents.models import Event, Incident
from liandong.incidents.urgency import URGENT
from liandong.rosters.selectors import units_without_duty
from liandong.units import reference
from liandong.units.models import Category, Unit
from liandong.web.board import EXPORT_ROWS, board, export_rows
from liandong.web.common import login_required_for, run_action, user_of
from liandong.web.exports import local, xlsx_response
from liandong.web.header import office_counts

office_page = login_required_for(access.reads_everything)


def counts(user: User) -> dict[str, int]:
    """The navigation's counters (one query: web/header.py)."""
    return office_counts(user)


def page(request: HttpRequest, template: str, tab: str, **context: Any) -> HttpResponse:
    """Render an office page with the counters of its navigation."""
    user = user_of(request)
    numbers = counts(user)
    return render(
        request,
        template,
        {
            "tab": tab,
            "counts": numbers,
            "intake_count": numbers["intake"],
            "bell_unread": numbers["bell"],
            "is_office": access.is_office(user),
            **context,
        },
    )


INTAKE_ROWS = 200
#: How the queue may be ordered: urgent first (then by waiting time), or strictly by arrival.
INTAKE_ORDERS = {"": ("intake_priority", "accepted_at", "id"), "arrival": ("accepted_at", "id")}


def intake(user: User, *, order: str = "", only_urgent: bool = False) -> list[Incident]:
    """The waiting incidents: urgent first (incidents/urgency.py), then the longest waiting."""
    new = access.visible_incidents(user).filter(status=IncidentStatus.NEW)
    if only_urgent:
        new = new.filter(intake_priority=URGENT)
    ordering = INTAKE_ORDERS.get(order, INTAKE_ORDERS[""])
    return list(new.select_related("claimed_by").order_by(*ordering)[:INTAKE_ROWS])


def intake_options(request: HttpRequest) -> dict[str, Any]:
    return {
        "order": request.GET.get("order", "") if request.GET.get("order") in INTAKE_ORDERS else "",
        "only_urgent": request.GET.get("urgent") == "1",
    }


def claim_of(incident: Incident, now: Any) -> str:
    """Who is triaging it (正在研判), while the claim holds; else ""."""
    if incident.claimed_by is None or incident.claimed_at is None:
        return ""
    if now - incident.claimed_at >= timedelta(minutes=CLAIM_MINUTES):
        return ""
    return actor_label(incident.claimed_by)


def linkage_units() -> list[Unit]:
    return reference.linkage_units()


@office_page
def console(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        listed, filters = export_rows(request)
        return xlsx_response(
            name="在办指令时限看板",
            filters="；".join(f"{k}={v}" for k, v in filters.items() if v),
            headers=[
                "警情编号",
                "事发地址",
                "单位",
                "角色",
                "级别",
                "状态",
                "最近时限",
                "截止时间",
                "计时状态",
            ],
            rows=(
                [
                    r.instruction.incident.incident_id,
                    r.instruction.incident.address,
                    r.instruction.unit.name,
                    r.instruction.get_role_display(),
                    r.instruction.level,
                    r.instruction.get_state_display(),
                    r.deadline.get_kind_display() if r.deadline else "",
                    local(r.deadline.due_at) if r.deadline else "",
                    STATUS_LABELS.get(r.status, ""),
                ]
                for r in listed
            ),
        )
    rows, total, filters = board(request)
    now = clock.now()
    return page(
        request,
        "web/office/console.html",
        "console",
        intake=[
            {
                "incident": i,
                "claimed_by": claim_of(i, now),
                "urgent": i.intake_priority == URGENT,
            }
            for i in intake(user_of(request), **intake_options(request))
        ],
        intake_options=intake_options(request),
        duty_gaps=units_without_duty(now, hours=24),
        rows=rows,
        total_rows=total,
        filters=filters,
        units=linkage_units(),
        categories=Category.objects.filter(active=True),
        streets=reference.streets(),
    )


@office_page
def board_rows(request: HttpRequest) -> HttpResponse:
    """The board's rows alone, for the console to refresh itself without a reload."""
    rows, total, _ = board(request)
    response = render(request, "web/office/_board_rows.html", {"rows": rows})
    response["X-Total"] = str(total)
    return response


#: The columns the live queue shows (never the raw city request or the whole row).
LIVE_COLUMNS = (
    "incident_id",
    "address",
    "content",
    "intake_priority",
    "intake_cues",
    "claimed_at",
    "accepted_at",
    "claimed_by__first_name",
    "claimed_by__last_name",
    "claimed_by__username",
    "claimed_by__role",
    "claimed_by__is_active",
    "claimed_by__unit__name",
)


@office_page
def live(request: HttpRequest) -> HttpResponse:
    """What the console refreshes every second: the intake queue and the counters.

    The poll sends back the `version` of its last answer (`?since=`); while nothing the console
    shows has changed since, the answer is 204 without reading anything (docs: live updates)."""
    user = user_of(request)
    now = clock.now()
    version = data_version()
    if version is not None and unchanged(request.GET.get("since", ""), version, now):
        return HttpResponse(status=204)
    options = intake_options(request)
    new = access.visible_incidents(user).filter(status=IncidentStatus.NEW)
    if options["only_urgent"]:
        new = new.filter(intake_priority=URGENT)
    ordering = INTAKE_ORDERS[options["order"]]
    queue = list(
        new.select_related("claimed_by__unit").only(*LIVE_COLUMNS).order_by(*ordering)[:INTAKE_ROWS]
    )
    claims = [claim_of(i, now) for i in queue]
    return JsonResponse(
        {
            "intake": [
                {
                    "incident_id": i.incident_id,
                    "address": i.address,
                    "content": i.content[:60],
                    "urgent": i.intake_priority == URGENT,
                    "cues": i.intake_cues,
                    "claimed_by": claim,
                    "accepted_epoch": int(i.accepted_at.timestamp()),
                    "url": reverse("incident", args=[i.incident_id]),
                }
                for i, claim in zip(queue, claims, strict=True)
            ],
            "counts": counts(user),
            "version": None if version is None else f"{version}~{fresh_until(queue, now)}",
        },
        json_dumps_params={"ensure_ascii": False},
    )


def data_version() -> str | None:
    """What the data the console shows is at, or None when that cannot be told cheaply.

    PostgreSQL: the live signal's version (common/live_signal.py; None while its listener is not
    connected). SQLite: one cheap query; SQLite lets one transaction write at a time, so new ids
    only grow in commit order: every change appends an event, a city hand-over adds its incident
    before the worker records its receipt's event (ADR 26), and a parked city report records an
    attempt."""
    if connection.vendor == "postgresql":
        return live_signal.version()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {Event._meta.db_table}),"
            f" (SELECT MAX(id) FROM {Incident._meta.db_table}),"
            f" (SELECT MAX(id) FROM {ReportAttempt._meta.db_table})"
        )
        events, incidents, attempts = cursor.fetchone()
    return f"s{events or 0}.{incidents or 0}.{attempts or 0}"


#: A version is trusted this long at most: a process killed between a commit and its
#: announcement (common/live_signal.py) leaves a console behind for no longer than this.
TRUST_SECONDS = 60


def fresh_until(queue: list[Incident], now: Any) -> int:
    """Until when (epoch seconds) an answer stays true without any write: TRUST_SECONDS, or
    sooner when a claim shown runs out."""
    ends = [now + timedelta(seconds=TRUST_SECONDS)] + [
        i.claimed_at + timedelta(minutes=CLAIM_MINUTES)
        for i in queue
        if claim_of(i, now) and i.claimed_at is not None
    ]
    return int(min(ends).timestamp()) + 1


def unchanged(since: str, version: str, now: Any) -> bool:
    """Whether the poll's last answer (`version~fresh_until`) still holds."""
    seen, _, until = since.partition("~")
    return seen == version and until.isdigit() and now.timestamp() < int(until)


REPORT_FILTERS = [
    ("waiting", "待发送"),
    ("failing", "重试中"),
    ("parked", "已搁置"),
    ("delivered", "已送达"),
]


STATUS_LABELS = {
    "running": "计时中",
    "warning": "即将超时",
    "overdue": "已超时",
    "paused": "暂停计时",
}


@office_page
def city_reports(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.get("state", "")
    if request.GET.get("format") == "xlsx":
        listed = backlog.reports(user_of(request), state=chosen or None, limit=EXPORT_ROWS)
        return xlsx_response(
            name="上报市平台",
            filters=f"state={chosen}" if chosen else "",
            headers=[
                "警情编号",
                "序号",
                "类型",
                "内容",
                "状态",
                "尝试次数",
                "生成时间",
                "送达时间",
                "最近错误",
            ],
            rows=(
                [
                    r["incident_id"],
                    r["sequence"],
                    r["type_label"],
                    r["text"],
                    r["state_label"],
                    r["attempts"],
                    (r["created_at"] or "")[:16].replace("T", " "),
                    (r["delivered_at"] or "")[:16].replace("T", " "),
                    r["last_error"],
                ]
                for r in listed
            ),
        )
    return page(
        request,
        "web/office/reports.html",
        "reports",
        backlog=backlog.backlog(),
        reports=backlog.reports(user_of(request), state=chosen or None, limit=200),
        chosen=chosen,
        report_filters=REPORT_FILTERS,
    )


@office_page
@require_POST
def resend_report(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    access.require_office(user)
    report = CityReport.objects.filter(pk=pk).first()
    if report is None:
        return redirect("city-reports")
    return run_action(
        request,
        reverse("city-reports"),
        lambda: citylink_actions.do_resend_report(actor=user, report=report),
        "已重新排队发送",
    )

"""The unit workbench: a duty officer's instructions on a phone, and the leader's approvals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, F, Min, OuterRef, Prefetch, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput
from liandong.incidents import access, actions, available, selectors, upload_handler
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES, RequestState
from liandong.incidents.models import (
    RESULT_OUTCOMES,
    Deadline,
    DeadlineState,
    Instruction,
    Urge,
)
from liandong.rosters.selectors import on_duty
from liandong.units import reference
from liandong.web.board import RUNNING_CLOCK
from liandong.web.common import (
    board_row,
    local_time,
    login_required_for,
    run_action,
    units_from,
    user_of,
)

unit_page = login_required_for(access.is_unit_user)


def _leader_pending(user: User) -> int:
    if not access.is_unit_leader(user):
        return 0
    return access.visible_extension_requests(user).filter(state=RequestState.PENDING_LEADER).count()


WORKBENCH_PAGE = 30


def _workbench(request: HttpRequest) -> dict[str, Any]:
    """The unit's instructions, the least time left on a running clock first, ordered and paged
    in the database (a unit with hundreds open still sees its most overdue ones first)."""
    user = user_of(request)
    show = request.GET.get("show", "open")
    qs = access.visible_instructions(user)
    if show == "open":
        qs = qs.exclude(state__in=FINAL_INSTRUCTION_VALUES)
    urges = (
        Urge.objects.filter(instruction=OuterRef("pk"))
        .order_by()
        .values("instruction")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # the order over the unit's ids alone (a narrow aggregate), then the page's rows
    ordered = (
        qs.annotate(next_due=Min("deadlines__due_at", filter=RUNNING_CLOCK))
        .order_by(F("next_due").asc(nulls_last=True), "-dispatched_at", "-id")
        .values_list("pk", flat=True)
    )
    page = Paginator(ordered, WORKBENCH_PAGE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    loaded = {
        i.pk: i
        for i in Instruction.objects.filter(pk__in=ids)
        .annotate(urge_count=Subquery(urges))
        .select_related("incident")
        .prefetch_related(
            Prefetch("deadlines", queryset=Deadline.objects.filter(state=DeadlineState.OPEN))
        )
    }
    now = clock.now()
    return {"rows": [board_row(loaded[pk], now) for pk in ids], "page": page, "show": show}


@unit_page
def workbench(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return render(
        request,
        "web/unit/workbench.html",
        {
            **_workbench(request),
            "leader_pending": _leader_pending(user),
            "on_duty": on_duty(user.unit, clock.now()) if user.unit else [],
            "tab": "work",
        },
    )


@unit_page
def workbench_rows(request: HttpRequest) -> HttpResponse:
    """The list alone, for the workbench to refresh itself without a reload."""
    return render(request, "web/unit/_work_rows.html", _workbench(request))


@unit_page
def instruction_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    inst = selectors.access_instruction_loaded(user, pk)
    # every unit on the incident (the unit sees it: it holds this instruction)
    others = list(
        Instruction.objects.filter(incident_id=inst.incident_id)
        .exclude(pk=inst.pk)
        .select_related("unit")
        .order_by("id")
    )
    return render(
        request,
        "web/unit/instruction.html",
        {
            "i": inst,
            "incident": inst.incident,
            "offers": available.allowed(user, inst),
            "refused": available.refused(user, inst),
            "may_reveal_caller": access.may_reveal_caller(
                user, inst.incident, instructions=[inst, *others]
            ),
            "units": [u for u in reference.linkage_units() if u.pk != inst.unit_id],
            "others": others,
            "requests": access.visible_extension_requests(user)
            .filter(instruction=inst)
            .order_by("-created_at", "-pk"),
            "result_outcomes": RESULT_OUTCOMES,
            "urges": inst.urges.order_by("-created_at", "-pk"),
            "timeline": [
                e
                for e in selectors.timeline(user, inst.incident)
                if e["instruction"] in (None, inst.pk)
            ],
            "leader_pending": _leader_pending(user),
            "tab": "work",
        },
    )


@unit_page
@require_POST
def unit_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    inst = access.access_instruction_for_unit_action(user, pk)
    post = request.POST
    back = reverse("unit-instruction", args=[pk])

    def result() -> None:
        upload_handler.enforce(request)  # a photo refused before it was read (too large)
        ids = [
            actions.do_upload_attachment(
                actor=user,
                instruction=inst,
                name=f.name or "照片",
                content_type=f.content_type or "",
                data=f.read(settings.LIANDONG_MAX_ATTACHMENT_BYTES + 1),
                field="photos",
            ).pk
            for f in request.FILES.getlist("photos")
        ]
        actions.do_report_result(
            actor=user,
            instruction=inst,
            outcome=post.get("outcome", ""),
            text=post.get("text", ""),
            attachment_ids=ids,
        )

    def extension() -> None:
        upload_handler.enforce(request)  # the scan refused before it was read (too large)
        document = request.FILES.get("document")
        doc_id = None
        if document is not None:
            doc_id = actions.do_upload_attachment(
                actor=user,
                instruction=inst,
                name=document.name or "延期申请",
                content_type=document.content_type or "",
                data=document.read(settings.LIANDONG_MAX_ATTACHMENT_BYTES + 1),
                field="document",
            ).pk
        due = local_time(request, "proposed_due_at", required=True)
        assert due is not None
        actions.do_request_extension(
            actor=user,
            instruction=inst,
            progress=post.get("progress", ""),
            reason=post.get("reason", ""),
            proposed_due_at=due,
            document_id=doc_id,
        )

    def join() -> None:
        units = units_from(request, "units")
        if not units:
            raise InvalidInput.one("units", "required", "请选择需要联动的单位")
        actions.do_request_join(
            actor=user, instruction=inst, units=units, reason=post.get("reason", "")
        )

    handlers = {
        "sign": (lambda: actions.do_sign_instruction(actor=user, instruction=inst), "已签收"),
        "contact": (
            lambda: actions.do_record_caller_contact(
                actor=user,
                instruction=inst,
                reached=post.get("reached") == "yes",
                note=post.get("note", ""),
                contacted_at=local_time(request, "contacted_at", required=False),
            ),
            "已记录联系报警人情况",
        ),
        "feedback": (
            lambda: actions.do_give_feedback(
                actor=user, instruction=inst, text=post.get("text", "")
            ),
            "已反馈",
        ),
        "result": (result, "已反馈处置结果，等待区联动办审核"),
        "return": (
            lambda: actions.do_request_return(
                actor=user, instruction=inst, reason=post.get("reason", "")
            ),
            "已提交退回申请",
        ),
        "join": (join, "已提请联动"),
        "extension": (extension, "已提交延期申请，等待本单位主管领导审批"),
    }
    if action not in handlers:
        return redirect(back)
    call, done = handlers[action]
    return run_action(request, back, call, done)


@login_required_for(access.is_unit_leader)
def approvals(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    pending = (
        access.visible_extension_requests(user)
        .filter(state=RequestState.PENDING_LEADER)
        .select_related(
            "instruction__incident__category", "instruction__unit", "created_by", "document"
        )
        .order_by("created_at", "pk")
    )
    results = {
        d.instruction_id: d
        for d in Deadline.objects.filter(
            instruction__in=[r.instruction_id for r in pending], kind="result"
        )
    }
    rows = [
        {
            "r": r,
            "offers": available.allowed(user, r),
            "refused": available.refused(user, r),
            "result_deadline": results.get(r.instruction_id),
            "scan_is_image": bool(r.document and r.document.content_type.startswith("image/")),
        }
        for r in pending
    ]
    return render(
        request,
        "web/unit/approvals.html",
        {"rows": rows, "leader_pending": len(rows), "tab": "approvals"},
    )


@login_required_for(access.is_unit_leader)
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    ext = access.access_extension_request_for_leader(user, pk)
    approve_it = request.POST.get("decision") == "approve"
    return run_action(
        request,
        reverse("unit-approvals"),
        lambda: actions.do_leader_decide_extension(
            actor=user, request=ext, approve=approve_it, note=request.POST.get("note", "")
        ),
        "已同意，报区联动办审核" if approve_it else "已退回申请",
    )

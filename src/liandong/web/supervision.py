"""督办 on screen: the office's list, issue form and order page; the unit leader's orders and the
written answer. Buttons come from the order's available actions."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liandong.common.errors import Forbidden, InvalidInput
from liandong.incidents import access, upload_handler
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES
from liandong.supervision import actions, selectors
from liandong.supervision.documents import order_file
from liandong.supervision.lifecycle import ORDER_STATE_LABELS
from liandong.units.models import Unit
from liandong.web.common import local_time, login_required_for, run_action, unit_from, user_of
from liandong.web.console import linkage_units, office_page, page
from liandong.web.exports import download

unit_leader_page = login_required_for(access.is_unit_leader)


@office_page
def orders(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    chosen = request.GET.get("state", "")
    qs = selectors.visible_orders(user).select_related("unit").order_by("-issued_at", "-id")
    if chosen:
        qs = qs.filter(state=chosen)
    found = Paginator(qs, 30).get_page(request.GET.get("page"))
    return page(
        request,
        "web/supervision/list.html",
        "supervision",
        rows=[selectors.order_dict(user, o) for o in found.object_list],
        page=found,
        chosen=chosen,
        states=list(ORDER_STATE_LABELS.items()),
        may_issue=selectors.may_issue(user),
    )


@office_page
def new_order(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not selectors.may_issue(user):
        raise Forbidden(access.SUPERVISOR_ONLY)
    if request.method == "POST":
        created: list[int] = []

        def issue() -> None:
            unit = unit_from(request, "unit")
            ids = [int(v) for v in request.POST.getlist("instructions") if v.isdigit()]
            chosen = list(access.visible_instructions(user).filter(pk__in=ids, unit=unit))
            if not chosen:
                raise InvalidInput.one("instructions", "required", "请选择该单位的督办指令")
            order = actions.do_issue_supervision_order(
                actor=user,
                unit=unit,
                instructions=chosen,
                problems=request.POST.get("problems", ""),
                measures=request.POST.get("measures", ""),
                answer_due_at=local_time(request, "answer_due_at", required=False),
                contact=request.POST.get("contact", ""),
                title=request.POST.get("title", ""),
            )
            created.append(order.pk)

        response = run_action(request, reverse("supervision-new"), issue, "已下发督办")
        return redirect("supervision-order", created[0]) if created else response
    preset = (
        access.visible_instructions(user).filter(pk=request.GET.get("instruction") or 0).first()
    )
    unit_code = request.GET.get("unit") or (preset.unit.code if preset else "")
    unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
    candidates = (
        access.visible_instructions(user)
        .filter(unit=unit)
        .exclude(state__in=FINAL_INSTRUCTION_VALUES)
        .select_related("incident")
        .order_by("dispatched_at")[:100]
        if unit
        else []
    )
    return page(
        request,
        "web/supervision/new.html",
        "supervision",
        units=linkage_units(),
        unit=unit,
        candidates=candidates,
        preset=preset.pk if preset else None,
        contact=f"{user.display_name} {user.phone}".strip(),
    )


def _order(request: HttpRequest, pk: int) -> dict[str, object]:
    user = user_of(request)
    detail = selectors.order_dict(user, selectors.access_order(user, pk))
    return {"o": detail, "offers": set(detail["allowed_actions"])}


@office_page
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    return page(request, "web/supervision/order.html", "supervision", **_order(request, pk))


@office_page
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    order = selectors.access_order(user, pk)
    seat = access.supervisor_seat(user)
    if seat is not None:
        raise Forbidden(seat)
    back = reverse("supervision-order", args=[pk])
    if request.POST.get("decision") == "accept":
        return run_action(
            request,
            back,
            lambda: actions.do_accept_supervision_answer(
                actor=user, order=order, note=request.POST.get("note", "")
            ),
            "已认可回复，督办办结",
        )
    return run_action(
        request,
        back,
        lambda: actions.do_send_back_supervision_answer(
            actor=user,
            order=order,
            note=request.POST.get("note", ""),
            answer_due_at=local_time(request, "answer_due_at", required=False),
        ),
        "已退回，请单位重新回复",
    )


@unit_leader_page
def unit_orders(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    qs = selectors.visible_orders(user).select_related("unit").order_by("-issued_at", "-id")
    found = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "web/supervision/unit_list.html",
        {
            "rows": [selectors.order_dict(user, o) for o in found.object_list],
            "page": found,
            "tab": "supervision",
        },
    )


@unit_leader_page
def unit_order(request: HttpRequest, pk: int) -> HttpResponse:
    context = {**_order(request, pk), "tab": "supervision"}
    return render(request, "web/supervision/unit_order.html", context)


@unit_leader_page
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    order = selectors.access_order(user, pk)
    seat = access.unit_leader_seat(user, order.unit_id)
    if seat is not None:
        raise Forbidden(seat)
    scan = request.FILES.get("document")
    document = (
        (
            scan.name or "书面回复",
            scan.content_type or "",
            scan.read(settings.LIANDONG_MAX_ATTACHMENT_BYTES + 1),
        )
        if scan is not None
        else None
    )

    def answer_it() -> None:
        upload_handler.enforce(request)  # the scan refused before it was read (too large)
        actions.do_answer_supervision_order(
            actor=user, order=order, text=request.POST.get("text", ""), document=document
        )

    return run_action(
        request,
        reverse("unit-supervision-order", args=[pk]),
        answer_it,
        "已书面回复，等待区联动办审核",
    )


def _download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    order = selectors.access_order(user_of(request), pk)
    if kind not in ("docx", "pdf"):
        raise Http404("没有这种格式")
    data, content_type, name = order_file(order, kind)
    return download(data, content_type, name)


@office_page
def order_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    return _download(request, pk, kind)


@unit_leader_page
def unit_order_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    return _download(request, pk, kind)

"""月度通报 on screen: the list, one bulletin with its figures, the office's edit and publish."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from liandong.assessment import actions
from liandong.assessment.documents import KINDS, bulletin_file
from liandong.assessment.lifecycle import BULLETIN
from liandong.assessment.models import Bulletin
from liandong.assessment.selectors import case_candidates
from liandong.incidents import access
from liandong.incidents.available import offer
from liandong.web.common import run_action, user_of
from liandong.web.console import office_page, page
from liandong.web.exports import download


@office_page
def bulletins(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "web/bulletins/list.html",
        "bulletins",
        rows=Bulletin.objects.order_by("-month")[:36],
    )


@office_page
def bulletin_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    bulletin = get_object_or_404(Bulletin, pk=pk)
    offers = {
        name
        for name in ("edit", "refresh", "publish")
        if offer(name, name, access.office_seat(user), BULLETIN, bulletin.state).allowed
    }
    return page(
        request,
        "web/bulletins/bulletin.html",
        "bulletins",
        b=bulletin,
        offers=offers,
        cases_text="\n\n".join(bulletin.typical_cases),
        candidates=case_candidates(bulletin.month) if "edit" in offers else [],
    )


@office_page
@require_POST
def bulletin_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    access.require_office(user)
    bulletin = get_object_or_404(Bulletin, pk=pk)
    back = reverse("bulletin", args=[pk])
    if action == "edit":
        cases = request.POST.get("typical_cases", "").replace("\r\n", "\n").split("\n\n")
        return run_action(
            request,
            back,
            lambda: actions.do_edit_bulletin(
                actor=user,
                bulletin=bulletin,
                narrative=request.POST.get("narrative", ""),
                typical_cases=cases,
            ),
            "已保存",
        )
    if action == "refresh":
        return run_action(
            request,
            back,
            lambda: actions.do_refresh_bulletin(actor=user, bulletin=bulletin),
            "已重新统计",
        )
    return run_action(
        request, back, lambda: actions.do_publish_bulletin(actor=user, bulletin=bulletin), "已印发"
    )


@office_page
def bulletin_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    bulletin = get_object_or_404(Bulletin, pk=pk)
    if kind not in KINDS:
        raise Http404("没有这种格式")
    data, content_type, name = bulletin_file(bulletin, kind)
    return download(data, content_type, name)

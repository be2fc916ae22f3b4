"""The office's queue of what waits for its decision: results, extensions, returns, joins."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from liandong.incidents import access, actions, selectors
from liandong.web.common import local_time, run_action, unit_from, units_from, user_of
from liandong.web.console import linkage_units, office_page, page
from liandong.web.exports import xlsx_response
from liandong.web.incident import safe_next


@office_page
def decisions(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        pending = selectors.pending_decisions(user_of(request))
        names = {
            "results": "处置结果",
            "extensions": "延期申请",
            "returns": "退回申请",
            "joins": "提请联动",
        }
        return xlsx_response(
            name="待审核事项",
            filters="",
            headers=["类型", "单位", "警情编号", "内容", "提交时间"],
            rows=(
                [
                    names.get(kind, kind),
                    item["unit"]["name"],
                    item["incident_id"],
                    item.get("reason") or (item.get("result") or {}).get("text", ""),
                    (item.get("created_at") or (item.get("result") or {}).get("at") or "")[
                        :16
                    ].replace("T", " "),
                ]
                for kind, items in pending.items()
                for item in items
            ),
        )
    return page(
        request,
        "web/office/decisions.html",
        "decisions",
        pending=selectors.pending_decisions(user_of(request)),
        units=linkage_units(),
    )


@office_page
@require_POST
def decide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = user_of(request)
    post = request.POST
    back = safe_next(request, reverse("decisions"))
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

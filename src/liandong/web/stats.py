"""统计 on screen: pick a period and a grouping, read every figure with its definition, export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from liandong.common.errors import InvalidInput
from liandong.stats.definitions import FIGURES, GROUPINGS
from liandong.stats.period import parse_period
from liandong.stats.services import statistics
from liandong.web.common import user_of
from liandong.web.console import office_page, page


@office_page
def stats_page(request: HttpRequest) -> HttpResponse:
    user_of(request)  # the office page decorator already passed the gate
    chosen = {k: request.GET.get(k, "") for k in ("from", "to", "by")}
    errors: dict[str, str] = {}
    result = None
    try:
        start, end, by = parse_period(
            chosen["from"] or None, chosen["to"] or None, chosen["by"] or None
        )
        result = statistics(start=start, end=end, by=by)
    except InvalidInput as exc:
        errors = {f.field: f.message for f in exc.fields}
    return page(
        request,
        "web/stats/index.html",
        "stats",
        result=result,
        figures=FIGURES,
        groupings=list(GROUPINGS.items()),
        chosen=chosen,
        errors=errors,
        query=request.GET.urlencode(),
    )

"""Statistics for the office and the district leadership (JSON and .xlsx)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from liandong.api.common import ERRORS, user_of
from liandong.audit.services import record_export
from liandong.incidents import access
from liandong.stats.export import stats_xlsx
from liandong.stats.overview import overview
from liandong.stats.period import parse_period
from liandong.stats.services import statistics

stats = Router(tags=["统计"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _result(request: HttpRequest, start: str | None, end: str | None, by: str | None) -> Any:
    access.require_reads_everything(user_of(request), "只有区联动办和区领导可以查看统计")
    begin, finish, grouping = parse_period(start, end, by)
    return statistics(start=begin, end=finish, by=grouping)


@stats.get(
    "", response={200: dict, **ERRORS}, summary="统计（from/to 为日期，含结束日；by 为分组）"
)
def get_stats(
    request: HttpRequest,
    by: str = "unit",
    start: str | None = Query(None, alias="from"),  # noqa: B008 - django-ninja's query alias
    end: str | None = Query(None, alias="to"),  # noqa: B008
) -> dict[str, Any]:
    return _result(request, start, end, by)


@stats.get("/xlsx", response={200: None, **ERRORS}, summary="统计导出为 Excel")
def get_stats_xlsx(
    request: HttpRequest,
    by: str = "unit",
    start: str | None = Query(None, alias="from"),  # noqa: B008
    end: str | None = Query(None, alias="to"),  # noqa: B008
) -> HttpResponse:
    result = _result(request, start, end, by)
    response = HttpResponse(stats_xlsx(result), content_type=XLSX)
    name = f"统计_{result['from'][:10]}_{result['to'][:10]}_{by}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    record_export(name=name, detail=f"分组：{by}")
    return response


def _quote(name: str) -> str:
    return quote(name)


@stats.get(
    "/overview", response={200: dict, **ERRORS}, summary="领导总览：今日数据、趋势、分布、超时单位"
)
def get_overview(request: HttpRequest) -> dict[str, Any]:
    access.require_reads_everything(user_of(request), "只有区联动办和区领导可以查看总览")
    return overview()

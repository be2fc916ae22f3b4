"""The caller's own account and inbox, and the reference data (units, catalogue, calendar)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from liandong.api import schemas
from liandong.api.common import ERRORS, user_of
from liandong.common.errors import NotFound
from liandong.incidents import access, inbox, selectors
from liandong.incidents.actions.inbox import do_mark_notifications_read
from liandong.sla.models import HolidayYear
from liandong.sla.services import do_save_holiday_year
from liandong.units.models import Category, TierChange, Unit
from liandong.units.selectors import unit_by_code
from liandong.units.services import do_change_unit_tier

# --- me and reference data -------------------------------------------------------------------

me = Router(tags=["账户"])


@me.get("/me", summary="当前用户")
def whoami(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    return {
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "unit": selectors.unit_ref(user.unit),
    }


@me.get("/notifications", summary="我的通知（新的在前；read 表示本人是否已读）")
def notifications(
    request: HttpRequest,
    unread_only: bool = False,
    limit: int = 50,
    offset: schemas.Offset = 0,
) -> list[dict[str, Any]]:
    _, items = inbox.listing(
        user_of(request),
        unread_only=unread_only,
        limit=max(1, min(limit, 200)),
        offset=max(0, offset),
    )
    return items


@me.get("/notifications/unread-count", summary="我的未读通知数（铃铛）")
def unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": inbox.unread_count(user_of(request))}


@me.post(
    "/notifications/read", response={200: dict, **ERRORS}, summary="标为已读（不传 ids 则全部）"
)
def mark_read(request: HttpRequest, payload: schemas.MarkReadIn) -> dict[str, Any]:
    user = user_of(request)
    marked = do_mark_notifications_read(user=user, ids=payload.ids)
    return {"marked": marked, "unread": inbox.unread_count(user)}


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
    user = user_of(request)
    access.require_tier_changer(user)
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
    user = user_of(request)
    access.require_calendar_administrator(user)
    row = do_save_holiday_year(
        year=year,
        holidays=payload.holidays,
        makeup_workdays=payload.makeup_workdays,
        source=payload.source,
    )
    return {"year": row.year, "holidays": row.holidays, "makeup_workdays": row.makeup_workdays}

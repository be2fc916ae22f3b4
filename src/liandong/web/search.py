"""警情查询: the office's search over incidents, filtered and paged in the database, exported to
.xlsx with the same filters. An exact caller-phone search is a reveal of personal data: it is the
office's only and recorded on each incident it finds. Neither the list nor the export shows the
caller's name or phone (privacy.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import access, actions
from liandong.incidents.lifecycle import DeadlineState
from liandong.incidents.models import Deadline, Incident, IncidentClass, Level
from liandong.incidents.privacy import mask_phone
from liandong.units import reference
from liandong.units.models import Category
from liandong.web.common import user_of
from liandong.web.console import linkage_units, office_page, page
from liandong.web.exports import local, xlsx_response

FILTERS = (
    "q",
    "status",
    "from",
    "to",
    "unit",
    "level",
    "class",
    "category",
    "street",
    "overdue",
    "phone",
)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def search(user: User, f: dict[str, str]) -> QuerySet[Incident]:
    qs = access.visible_incidents(user).select_related("category", "street")
    if f["q"]:
        qs = qs.filter(
            Q(incident_id__icontains=f["q"])
            | Q(address__icontains=f["q"])
            | Q(content__icontains=f["q"])
        )
    if f["status"]:
        qs = qs.filter(status=f["status"])
    if (first := _day(f["from"])) is not None:
        qs = qs.filter(received_at__gte=datetime.combine(first, time(), tzinfo=clock.BEIJING))
    if (last := _day(f["to"])) is not None:
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=clock.BEIJING)
        qs = qs.filter(received_at__lt=end)
    if f["unit"]:
        qs = qs.filter(instructions__unit__code=f["unit"]).distinct()
    if f["level"] in ("1", "2"):
        qs = qs.filter(level=int(f["level"]))
    if f["class"]:
        qs = qs.filter(incident_class=f["class"])
    if f["category"]:
        qs = qs.filter(category__code=f["category"])
    if f["street"]:
        qs = qs.filter(street__code=f["street"])
    if f["overdue"]:
        late = Deadline.objects.filter(
            instruction__incident=OuterRef("pk"), state=DeadlineState.OPEN, due_at__lt=clock.now()
        )
        qs = qs.filter(Exists(late))
    if f["phone"] and access.may_search_by_caller_phone(user):
        qs = qs.filter(caller_phone=f["phone"].strip())
    return qs.order_by("-received_at", "-id")


@office_page
def incident_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    f = {k: request.GET.get(k, "").strip() for k in FILTERS}
    if not access.may_search_by_caller_phone(user):
        f["phone"] = ""  # not a filter for them: neither applied nor recorded as a reveal
    qs = search(user, f)
    # the export's header names the filters; the searched number only masked
    shown = {**f, "phone": mask_phone(f["phone"])}
    described = "；".join(f"{k}={v}" for k, v in shown.items() if v)
    if request.GET.get("format") == "xlsx":
        rows = list(qs[:10_001])
        if f["phone"]:
            for incident in rows:
                actions.do_record_phone_reveal(actor=user, incident=incident, via="search")
        return xlsx_response(
            name="警情查询",
            filters=described,
            headers=[
                "警情编号",
                "接警时间",
                "事发地址",
                "事项类别",
                "属地街道",
                "级别",
                "处置类别",
                "状态",
            ],
            rows=(
                [
                    i.incident_id,
                    local(i.received_at),
                    i.address,
                    i.category.name if i.category else "",
                    i.street.name if i.street else "",
                    i.get_level_display() if i.level else "",
                    i.get_incident_class_display(),
                    i.get_status_display(),
                ]
                for i in rows
            ),
        )
    found = Paginator(qs, 50).get_page(request.GET.get("page"))
    if f["phone"]:  # the caller's number was searched in full: on record for each incident shown
        for incident in found.object_list:
            actions.do_record_phone_reveal(actor=user, incident=incident, via="search")
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "incidents": found.object_list,
        "page": found,
        "f": f,
        "query": query.urlencode(),
        "selects": _selects(f),
        "may_search_phone": access.may_search_by_caller_phone(user),
    }
    return page(request, "web/office/incidents.html", "incidents", **context)


def _selects(f: dict[str, Any]) -> list[dict[str, Any]]:
    """The filter drop-downs, each option marked when it is the one chosen (kept on the form)."""
    choices: list[tuple[str, str, str, list[tuple[Any, str]]]] = [
        (
            "status",
            "状态",
            "全部状态",
            [(k, str(v)) for k, v in Incident._meta.get_field("status").flatchoices],
        ),
        ("unit", "单位", "全部单位", [(u.code, u.name) for u in linkage_units()]),
        ("level", "级别", "全部级别", list(Level.choices)),
        ("class", "处置类别", "全部处置类别", list(IncidentClass.choices)),
        (
            "category",
            "事项类别",
            "全部事项类别",
            list(Category.objects.filter(active=True).values_list("code", "name")),
        ),
        (
            "street",
            "属地街道",
            "全部街道",
            [(u.code, u.name) for u in reference.streets()],
        ),
    ]
    return [
        {
            "name": name,
            "label": label,
            "all": everything,
            "options": [
                {"value": value, "label": text, "selected": str(value) == str(f[name] or "")}
                for value, text in options
            ],
        }
        for name, label, everything, options in choices
    ]

"""Factories for people and for incidents in any stage of their life, built through the real
actions (so a test never starts from a state the product could not reach)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import factory
from django.test import Client

from liandong.accounts.models import Role, User
from liandong.incidents import actions
from liandong.incidents.models import Incident, Instruction
from liandong.units.models import Category, Unit

_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.DISPATCHER
    unit = None


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def office_user(role: str = Role.DISPATCHER) -> User:
    return UserFactory(role=role)


def unit_user(code: str, role: str = Role.DUTY_OFFICER) -> User:
    return UserFactory(role=role, unit=unit(code))


def new_incident(
    *, by: User | None = None, address: str = "于洪区陵西街道怒江北街188号", **kw: Any
) -> Incident:
    return actions.do_create_manual_incident(
        actor=by or office_user(),
        caller_phone=kw.pop("caller_phone", "13800000000"),
        address=address,
        content=kw.pop("content", "楼道供热管线漏水，热水外流。"),
        **kw,
    )


def dispatched(
    *,
    level: int = 2,
    incident_class: str = "linked_disposal",
    category: str = "heating-leak",
    primary: str = "housing",
    cooperating: tuple[str, ...] = ("urban-constr",),
    by: User | None = None,
) -> Incident:
    dispatcher = by or office_user()
    incident = new_incident(by=dispatcher)
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=incident,
        incident_class=incident_class,
        level=level,
        category=Category.objects.get(code=category),
        primary_unit=unit(primary),
        cooperating_units=[unit(c) for c in cooperating],
    )
    incident.refresh_from_db()
    return incident


def instruction_of(incident: Incident, code: str) -> Instruction:
    return incident.instructions.exclude(state__in=["reassigned", "cancelled"]).get(unit__code=code)


@dataclass
class Api:
    """A JSON client for one user (session login, like a person in the browser)."""

    user: User
    client: Client = field(default_factory=Client)

    def __post_init__(self) -> None:
        self.client.force_login(self.user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", json.dumps(body or {}), content_type="application/json"
        )

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.put(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def declare_holidays(*days: str, year: int = 2026) -> None:
    """The administrator adds `days` (ISO dates) to the year's holidays, through the action."""
    from liandong.sla.models import HolidayYear
    from liandong.sla.services import do_save_holiday_year

    row = HolidayYear.objects.get(year=year)
    do_save_holiday_year(
        year=year,
        holidays=sorted({*row.holidays, *days}),
        makeup_workdays=row.makeup_workdays,
        source="更正",
    )


def error_fields(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["fields"]]


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (16, 12),
    color: tuple[int, int, int] = (11, 61, 145),
    **save_options: Any,
) -> bytes:
    """A small valid image (uploads are decoded and re-encoded, so a bare signature is refused)."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save_options)
    return buffer.getvalue()

"""Reads of the district's geography: the boundaries as one FeatureCollection for the map, the
street a point lies in, the gazetteer, and the street of jurisdiction of an address and a point."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max

from liandong.common.errors import FieldError
from liandong.common.kept import Kept
from liandong.geography.gazetteer import (
    KIND_LABELS,
    MIN_TERM,
    Gazetteer,
    Place,
    StreetDecision,
    normalise,
    street_places,
)
from liandong.geography.gazetteer_file import (
    MAX_NAME,
    MAX_NOTE,
    StreetRef,
    build_workbook,
    street_lookup,
)
from liandong.geography.geojson import contains
from liandong.geography.jurisdiction import Boundary, combine, locate
from liandong.geography.models import GazetteerEntry, PlaceKind, StreetBoundary
from liandong.units.models import Unit, UnitKind


def district_map() -> dict[str, Any] | None:
    """The imported street boundaries as a FeatureCollection (properties: code, name), or None
    when none are imported (the overview then draws its schematic grid)."""
    boundaries = list(StreetBoundary.objects.select_related("street").order_by("street_id"))
    if not boundaries:
        return None
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": b.street.code, "name": b.street.name},
                "geometry": b.geometry,
            }
            for b in boundaries
        ],
    }


def street_at(lon: float, lat: float) -> Unit | None:
    """The street whose imported boundary contains the point, if exactly one does."""
    found = [
        b.street
        for b in StreetBoundary.objects.select_related("street")
        if contains(b.geometry, lon, lat)
    ]
    return found[0] if len(found) == 1 else None


# --- The gazetteer and the street of jurisdiction -------------------------------------------------

#: The local cache's token: a write (services.py) or an emptied cache (each test) forgets the
#: process's index; the database stamp, read at most every JURISDICTION_SECONDS, catches writes
#: made by other processes.
_TOKEN_KEY = "geography:jurisdiction:token"


@dataclass(frozen=True)
class _Index:
    stamp: tuple[object, ...]
    token: str
    gazetteer: Gazetteer
    boundaries: tuple[Boundary, ...]


_index: _Index | None = None


def street_of_jurisdiction(
    *, address: str, lon: float | None = None, lat: float | None = None
) -> StreetDecision:
    """The street of jurisdiction proposed for an address and, when given, a point: the gazetteer
    (with the street offices' names and aliases) reads the address; the imported boundaries
    place the point; `jurisdiction.combine` says which decides and why. `street` is the street
    office's unit code, or None with a reason starting 无法确定属地街道：."""
    index = _current_index()
    by_text = index.gazetteer.decide(address or "")
    by_point = locate(index.boundaries, lon, lat)
    return combine(by_text, by_point)


def forget_jurisdiction_index() -> None:
    """Make the next proposal rebuild the index (called by every gazetteer write)."""
    global _index
    _index = None
    _stamp.forget()
    cache.delete(_TOKEN_KEY)


def _read_stamp() -> tuple[object, ...]:
    """What changes when the gazetteer, the boundaries or a unit change."""
    entries = GazetteerEntry.objects.aggregate(n=Count("pk"), top=Max("pk"), at=Max("updated_at"))
    units = Unit.history.model.objects.aggregate(top=Max("history_id"))  # type: ignore[attr-defined]
    bounds = StreetBoundary.objects.aggregate(n=Count("pk"), at=Max("imported_at"))
    return (*entries.values(), *units.values(), *bounds.values())


#: The stamp as this process last read it: other processes' writes are seen within
#: JURISDICTION_SECONDS (as other reference data, units/reference.py), this process's at once.
JURISDICTION_SECONDS = 10.0
_stamp: Kept[tuple[object, ...]] = Kept(_read_stamp, seconds=JURISDICTION_SECONDS)
_stamp.forget_on_writes(GazetteerEntry, StreetBoundary, Unit)


def _token() -> str:
    token = cache.get(_TOKEN_KEY)
    if token is None:
        cache.add(_TOKEN_KEY, uuid.uuid4().hex, None)
        token = cache.get(_TOKEN_KEY) or ""
    return str(token)


def _current_index() -> _Index:
    global _index
    stamp, token = _stamp.get(), _token()
    index = _index
    if index is None or index.stamp != stamp or index.token != token:
        index = _Index(stamp, token, Gazetteer(jurisdiction_places()), _boundaries())
        _index = index
    return index


def jurisdiction_places() -> list[Place]:
    """The gazetteer's entries of active streets, and every active street office by its name,
    aliases and bare name."""
    streets = list(Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("pk"))
    places = [p for s in streets for p in street_places(s.code, s.name, s.aliases or [])]
    entries = GazetteerEntry.objects.filter(street__in=streets).select_related("street")
    places += [
        Place(e.name, e.kind, e.street.code, e.street.name, tuple(e.alias_list)) for e in entries
    ]
    return places


def _boundaries() -> tuple[Boundary, ...]:
    rows = StreetBoundary.objects.filter(street__active=True).select_related("street")
    return tuple(Boundary.of(b.street.code, b.street.name, b.geometry) for b in rows)


def street_lookup_keys() -> dict[str, StreetRef]:
    """What an import's 所属街道 may say (normalised): each street office's name, aliases, bare
    name, code and 9-digit administrative code."""
    streets = Unit.objects.filter(kind=UnitKind.STREET).order_by("-active", "pk")
    return street_lookup(
        [
            (
                StreetRef(s.code, s.name, s.active),
                [s.name, *(s.aliases or []), s.name.removesuffix("街道"), s.code, s.street_code],
            )
            for s in streets
        ]
    )


def entry_problems(
    *,
    name: str,
    kind: str,
    street: Unit | None,
    aliases: Sequence[str],
    note: str,
    exclude_pk: int | None = None,
) -> list[FieldError]:
    """What is wrong with one gazetteer entry as entered (the admin's form and the save action)."""
    problems: list[FieldError] = []
    key = normalise(name)
    if not name.strip():
        problems.append(FieldError("name", "required", "名称不能为空"))
    elif len(name) > MAX_NAME:
        problems.append(FieldError("name", "too_long", f"名称不能超过{MAX_NAME}个字"))
    elif len(key) < MIN_TERM:
        problems.append(FieldError("name", "too_short", f"名称至少{MIN_TERM}个字"))
    if kind not in KIND_LABELS:
        problems.append(FieldError("kind", "invalid_choice", "类别应为街道、社区、道路或地标"))
    if street is None or street.kind != UnitKind.STREET:
        problems.append(FieldError("street", "not_street", "所属街道须是街道办事处"))
    elif not street.active:
        problems.append(FieldError("street", "inactive", f"{street.name}已停用"))
    for alias in aliases:
        if len(alias) > MAX_NAME or len(normalise(alias)) < MIN_TERM:
            message = f"别名“{alias[:20]}”应为{MIN_TERM}至{MAX_NAME}个字"
            problems.append(FieldError("aliases", "invalid_alias", message))
    if len(note) > MAX_NOTE:
        problems.append(FieldError("note", "too_long", f"备注不能超过{MAX_NOTE}个字"))
    if problems or street is None:
        return problems
    others = GazetteerEntry.objects.filter(key=key).select_related("street")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for other in others:
        if kind == PlaceKind.ROAD and other.kind == PlaceKind.ROAD:
            if other.street_id == street.pk:
                message = f"道路“{other.name}”在{street.name}下已存在"
                problems.append(FieldError("name", "duplicate", message))
        else:
            message = f"地名库中已有“{other}”；只有道路可以分属多个街道（类别都须为道路）"
            problems.append(FieldError("name", "duplicate", message))
    return problems


def gazetteer_rows() -> list[list[str]]:
    """The gazetteer as the export writes it: 名称, 类别, 所属街道, 别名, 备注."""
    entries = GazetteerEntry.objects.select_related("street").order_by("kind", "key", "street_id")
    return [
        [e.name, e.get_kind_display(), e.street.name, "、".join(e.alias_list), e.note]
        for e in entries
    ]


def gazetteer_xlsx() -> bytes:
    return build_workbook(gazetteer_rows())

"""Writes of the district's geography: importing street boundaries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.geography.geojson import parse_features
from liandong.geography.models import StreetBoundary
from liandong.units.models import Unit, UnitKind


@dataclass(frozen=True)
class BoundaryImport:
    imported: tuple[str, ...]  #: street names, in file order
    removed: int  #: earlier boundaries of streets the file does not name

    def message(self) -> str:
        text = f"已导入{len(self.imported)}个街道的边界：{'、'.join(self.imported)}"
        return text + (f"；另删除{self.removed}个文件中没有的街道的旧边界" if self.removed else "")


@transaction.atomic
def do_import_street_boundaries(
    *, actor: User | None, data: bytes, source_name: str = ""
) -> BoundaryImport:
    """Replace every street boundary with the features of a GeoJSON FeatureCollection, each naming
    its street in its properties by code, administrative code (e.g. 210114003), name or alias. All or nothing: any feature that is malformed,
    names no active street, or names one twice is reported (第N个要素) and nothing is stored."""
    features = parse_features(data)
    streets = list(Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("pk"))
    by_key: dict[str, Unit] = {}
    for street in streets:  # its code, official administrative code, name or an alias
        for key in (street.code, street.street_code, street.name, *(street.aliases or ())):
            if key:
                by_key.setdefault(str(key), street)
    errors: list[FieldError] = []
    seen: dict[int, int] = {}
    chosen: list[tuple[Unit, dict]] = []
    for feature in features:
        found = by_key.get(feature.key)
        if found is None:
            errors.append(
                FieldError(
                    "file",
                    "unknown_street",
                    f"第{feature.number}个要素：没有名称或编码为“{feature.key}”的街道",
                )
            )
            continue
        street = found
        if street.pk in seen:
            errors.append(
                FieldError(
                    "file",
                    "duplicate_street",
                    f"第{feature.number}个要素：{street.name}已在第{seen[street.pk]}个要素中出现",
                )
            )
        else:
            seen[street.pk] = feature.number
            chosen.append((street, feature.geometry))
    if errors:
        raise InvalidInput(errors, "GeoJSON文件有问题，未导入任何内容")
    # Serialised with other imports; the old boundaries go, the file's come.
    list(Unit.objects.select_for_update().filter(pk__in=[s.pk for s in streets]))
    removed = StreetBoundary.objects.exclude(street__in=[s for s, _ in chosen]).delete()[0]
    now = clock.now()
    for street, geometry in chosen:
        StreetBoundary.objects.update_or_create(
            street=street,
            defaults={
                "geometry": geometry,
                "imported_at": now,
                "imported_by": actor,
                "source_name": source_name[:200],
            },
        )
    return BoundaryImport(imported=tuple(s.name for s, _ in chosen), removed=removed)

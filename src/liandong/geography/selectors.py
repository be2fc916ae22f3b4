"""Reads of the district's geography: the boundaries as one FeatureCollection for the map, and the
street a point lies in."""

from __future__ import annotations

from typing import Any

from liandong.geography.geojson import contains
from liandong.geography.models import StreetBoundary
from liandong.units.models import Unit


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

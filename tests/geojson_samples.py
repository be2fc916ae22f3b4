"""GeoJSON street boundaries for tests: squares side by side, one per street."""

from __future__ import annotations

import json


def square(lon: float, lat: float, size: float = 0.05) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def district(names: list[str], *, key: str = "name") -> bytes:
    """A FeatureCollection with one square per street, in a row from 123.30 E, 41.80 N."""
    features = [
        {
            "type": "Feature",
            "properties": {key: name},
            "geometry": {"type": "Polygon", "coordinates": [square(123.30 + 0.05 * i, 41.80)]},
        }
        for i, name in enumerate(names)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()

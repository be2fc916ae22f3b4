"""GeoJSON street boundaries, pure: parsing an import with an error per feature, and whether a
point lies in a boundary. No database here; the import action (services.py) matches the parsed
features to streets and stores them.

A boundary is a GeoJSON geometry of type Polygon or MultiPolygon, coordinates as [longitude,
latitude] in degrees (the coordinate system is the one the file is in; the map draws what it is
given)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from liandong.common.errors import FieldError, InvalidInput

#: Property names a feature may carry its street's code or name in, tried in this order.
KEY_PROPERTIES = (
    "code",
    "street_code",
    "编码",
    "街道编码",
    "name",
    "street",
    "街道",
    "名称",
    "NAME",
)
MAX_FEATURES = 500
MAX_POINTS = 200_000

Ring = list[list[float]]


@dataclass(frozen=True)
class ParsedFeature:
    number: int  #: 1-based position in the file, for messages
    key: str  #: the code or name the feature names its street by
    geometry: dict[str, Any]


def parse_features(data: bytes) -> list[ParsedFeature]:
    """The features of a FeatureCollection, each checked; any problem raises one InvalidInput
    naming every offending feature (第N个要素)."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput.one(
            "file", "not_json", "文件不是有效的GeoJSON（JSON格式错误或不是UTF-8编码）"
        ) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidInput.one("file", "not_collection", "GeoJSON的最外层必须是FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput.one("file", "empty", "文件中没有任何要素（features为空）")
    if len(features) > MAX_FEATURES:
        raise InvalidInput.one("file", "too_many", f"要素不能超过{MAX_FEATURES}个")
    errors: list[FieldError] = []
    parsed: list[ParsedFeature] = []
    points = 0
    for number, feature in enumerate(features, start=1):
        problem, key, geometry = _check_feature(feature)
        if problem:
            errors.append(FieldError("file", "feature", f"第{number}个要素：{problem}"))
            continue
        assert geometry is not None
        points += sum(len(ring) for polygon in polygons(geometry) for ring in polygon)
        parsed.append(ParsedFeature(number=number, key=key, geometry=geometry))
    if points > MAX_POINTS:
        errors.append(
            FieldError("file", "too_many_points", f"边界坐标点合计不能超过{MAX_POINTS}个")
        )
    if errors:
        raise InvalidInput(errors, "GeoJSON文件有问题，未导入任何内容")
    return parsed


def _check_feature(feature: Any) -> tuple[str, str, dict[str, Any] | None]:
    """(problem or "", the street key, the geometry) of one feature."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return "不是Feature对象", "", None
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return "properties必须是对象", "", None
    key = next(
        (
            str(properties[p]).strip()
            for p in KEY_PROPERTIES
            if str(properties.get(p) or "").strip()
        ),
        "",
    )
    if not key:
        return "properties中没有街道编码或名称（code 或 name）", "", None
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return f"“{key}”的geometry必须是Polygon或MultiPolygon", key, None
    coordinates = geometry.get("coordinates")
    shapes = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(shapes, list) or not shapes:
        return f"“{key}”的坐标为空", key, None
    for shape in shapes:
        problem = _check_polygon(shape)
        if problem:
            return f"“{key}”{problem}", key, None
    return "", key, {"type": geometry["type"], "coordinates": coordinates}


def _check_polygon(polygon: Any) -> str:
    if not isinstance(polygon, list) or not polygon:
        return "的多边形为空"
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4:
            return "的多边形每个环至少要有4个坐标点（首尾相同）"
        for point in ring:
            if (
                not isinstance(point, list)
                or len(point) < 2
                or not all(isinstance(v, int | float) and math.isfinite(v) for v in point[:2])
            ):
                return "有不是[经度, 纬度]数字的坐标点"
            lon, lat = point[0], point[1]
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                return f"的坐标[{lon}, {lat}]超出经纬度范围"
        if ring[0][:2] != ring[-1][:2]:
            return "的多边形环没有闭合（首尾坐标点必须相同）"
    return ""


def polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    """The polygons of a Polygon or MultiPolygon geometry, each a list of rings (outer first)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """Whether the point lies inside the geometry: inside an outer ring and outside its holes
    (even-odd rule; a point exactly on an edge may fall either way)."""
    for polygon in polygons(geometry):
        outer, *holes = polygon
        if _in_ring(outer, lon, lat) and not any(_in_ring(h, lon, lat) for h in holes):
            return True
    return False


def _in_ring(ring: Ring, x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside

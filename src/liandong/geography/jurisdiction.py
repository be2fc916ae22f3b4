"""The street of jurisdiction from both the address and a point, pure: which imported boundary a
point lies in, and how that combines with the gazetteer's decision.

- Both decide the same street: that street, both reasons.
- They disagree: nothing is decided; both streets are named as the candidates.
- Only one decides: that one (the other's reason in brackets when it says something).
- Neither: no street, and "无法确定属地街道：" with why each could not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from liandong.geography.gazetteer import NO_ADDRESS, StreetDecision
from liandong.geography.geojson import contains, polygons

UNDECIDED = "无法确定属地街道："


@dataclass(frozen=True)
class Boundary:
    street: str  #: unit code
    street_name: str
    geometry: dict[str, Any]
    box: tuple[float, float, float, float]  #: min lon, min lat, max lon, max lat

    @classmethod
    def of(cls, street: str, street_name: str, geometry: dict[str, Any]) -> Boundary:
        points = [p for polygon in polygons(geometry) for ring in polygon for p in ring]
        lons = [p[0] for p in points] or [0.0]
        lats = [p[1] for p in points] or [0.0]
        return cls(street, street_name, geometry, (min(lons), min(lats), max(lons), max(lats)))

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.box
        return west <= lon <= east and south <= lat <= north and contains(self.geometry, lon, lat)


@dataclass(frozen=True)
class PointResult:
    """Where a point lies among the boundaries: one street, or why none."""

    street: str | None = None
    street_name: str = ""
    why: str = ""  #: when no street: 未提供坐标, 尚未导入街道边界, …
    overlapping: tuple[str, ...] = ()  #: unit codes when the point is in several boundaries


def locate(boundaries: Sequence[Boundary], lon: float | None, lat: float | None) -> PointResult:
    """The street whose boundary contains the point, if exactly one does."""
    if lon is None or lat is None:
        return PointResult(why="未提供坐标")
    if not boundaries:
        return PointResult(why="尚未导入街道边界")
    inside = [b for b in boundaries if b.contains(lon, lat)]
    if len(inside) == 1:
        return PointResult(inside[0].street, inside[0].street_name)
    if not inside:
        return PointResult(why=f"坐标（{lon:.6f}, {lat:.6f}）不在任何已导入的街道边界内")
    names = "、".join(b.street_name for b in inside)
    return PointResult(
        why=f"坐标位于多个街道边界的重叠处（{names}）",
        overlapping=tuple(b.street for b in inside),
    )


def combine(text: StreetDecision, point: PointResult) -> StreetDecision:
    """One decision from the address's and the point's."""
    if text.street_code is not None and point.street is not None:
        if text.street_code == point.street:
            return StreetDecision(
                text.street_code,
                text.street_name,
                f"{text.reason}；坐标也位于{point.street_name}的边界内",
                text.matched,
                source="gazetteer+boundary",
            )
        return StreetDecision(
            None,
            "",
            f"{UNDECIDED}地址指向{text.street_name}（{text.reason}），"
            f"坐标却位于{point.street_name}的边界内，两者不一致",
            text.matched,
            (text.street_code, point.street),
            source="",
        )
    if text.street_code is not None:
        return text
    if point.street is not None:
        why = "" if text.reason == NO_ADDRESS else f"（{text.reason}）"
        return StreetDecision(
            point.street,
            point.street_name,
            f"坐标位于{point.street_name}的边界内{why}",
            text.matched,
            source="boundary",
        )
    why = text.reason.removesuffix("，无法确定")
    return StreetDecision(
        None,
        "",
        f"{UNDECIDED}{why}；{point.why}",
        text.matched,
        tuple(dict.fromkeys((*text.candidates, *point.overlapping))),
        source="",
    )

"""GeoJSON street boundaries, pure: every malformed feature named, point-in-polygon with holes."""

from __future__ import annotations

import json

import pytest

from liandong.common.errors import InvalidInput
from liandong.geography.geojson import contains, parse_features
from tests.geojson_samples import district, square


def messages(data: bytes) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_features(data)
    return [f.message for f in caught.value.fields]


def test_a_well_formed_collection_parses_in_file_order() -> None:
    parsed = parse_features(district(["陵西街道", "北陵街道"]))
    assert [(f.number, f.key) for f in parsed] == [(1, "陵西街道"), (2, "北陵街道")]
    assert parsed[0].geometry["type"] == "Polygon"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "不是有效的GeoJSON"),
        ("中".encode("gbk"), "不是有效的GeoJSON"),
        (b'{"type": "Feature"}', "FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "没有任何要素"),
    ],
)
def test_a_file_that_is_no_collection_is_refused_whole(data: bytes, expected: str) -> None:
    assert expected in messages(data)[0]


def feature(properties: object, geometry: object) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def test_every_bad_feature_is_named_with_its_position() -> None:
    good = {"type": "Polygon", "coordinates": [square(123.3, 41.8)]}
    features = [
        feature({"name": "陵西街道"}, good),
        feature({}, good),
        feature({"name": "北陵街道"}, {"type": "Point", "coordinates": [123.3, 41.8]}),
        feature({"name": "于洪街道"}, {"type": "Polygon", "coordinates": [[[1, 2], [3, 4]]]}),
        feature({"name": "迎宾路街道"}, {"type": "Polygon", "coordinates": [square(200, 41.8)]}),
        feature(
            {"code": "st-a"}, {"type": "Polygon", "coordinates": [square(1, 1)[:-1] + [[9, 9]]]}
        ),
        feature({"code": "st-b"}, {"type": "Polygon", "coordinates": [[["x", 1]] * 4]}),
        "not a feature",
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    found = messages(data)
    assert len(found) == 7
    assert found[0].startswith("第2个要素：") and "街道编码或名称" in found[0]
    assert found[1].startswith("第3个要素：") and "Polygon或MultiPolygon" in found[1]
    assert "至少要有4个坐标点" in found[2]
    assert "超出经纬度范围" in found[3]
    assert "没有闭合" in found[4]
    assert "数字" in found[5]
    assert found[6] == "第8个要素：不是Feature对象"


def test_a_point_is_inside_the_outer_ring_and_outside_its_holes() -> None:
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    polygon = {"type": "Polygon", "coordinates": [outer, hole]}
    assert contains(polygon, 1, 1)
    assert not contains(polygon, 5, 5)  # in the hole
    assert not contains(polygon, 11, 5)
    assert not contains(polygon, -0.1, 5)
    many = {
        "type": "MultiPolygon",
        "coordinates": [[outer], [[[20, 0], [30, 0], [25, 8], [20, 0]]]],
    }
    assert contains(many, 25, 2) and contains(many, 5, 5) and not contains(many, 15, 5)

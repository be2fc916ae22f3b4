"""The street of jurisdiction, pure: the gazetteer's matcher read as a table of addresses, how an
address and a point combine, and the gazetteer file's rows checked. No database."""

from __future__ import annotations

import pytest

from liandong.common.errors import InvalidInput
from liandong.geography.gazetteer import (
    COMMUNITY,
    LANDMARK,
    ROAD,
    STREET,
    Gazetteer,
    Place,
    StreetDecision,
    decide,
    normalise,
    street_places,
)
from liandong.geography.gazetteer_file import StreetRef, parse_entries, street_lookup
from liandong.geography.jurisdiction import Boundary, PointResult, combine, locate
from tests.geojson_samples import square

STREETS = {
    "st-lingxi": "陵西街道",
    "st-nanyanghu": "南阳湖街道",
    "st-yuhong": "于洪街道",
    "st-beiling": "北陵街道",
}


def place(name: str, kind: str, code: str, *aliases: str) -> Place:
    return Place(name, kind, code, STREETS[code], tuple(aliases))


PLACES = [
    *(p for code, name in STREETS.items() for p in street_places(code, name, [f"{name}办事处"])),
    place("翠湖湾小区", COMMUNITY, "st-nanyanghu", "翠湖湾"),
    place("宁山社区", COMMUNITY, "st-lingxi"),
    place("于洪广场", LANDMARK, "st-yuhong"),
    place("于洪区人民政府", LANDMARK, "st-yuhong", "区政府"),
    place("沈辽路", ROAD, "st-lingxi"),
    place("沈辽路", ROAD, "st-nanyanghu"),
    place("怒江北街", ROAD, "st-lingxi"),
    place("怒江北街", ROAD, "st-beiling"),
    place("洪湖二街", ROAD, "st-nanyanghu"),
    place("黄河北大街", ROAD, "st-beiling"),
    place("宁山西路", ROAD, "st-lingxi"),
]
GAZETTEER = Gazetteer(PLACES)


@pytest.mark.parametrize(
    ("address", "street", "reason", "matched"),
    [
        # a community decides, with or without the city and district before it
        (
            "沈阳市于洪区翠湖湾小区5号楼2单元",
            "st-nanyanghu",
            "地址中的“翠湖湾小区”属于南阳湖街道",
            "翠湖湾小区",
        ),
        # an alias, and the entry's name in brackets
        ("翠湖湾3号楼", "st-nanyanghu", "地址中的“翠湖湾”（翠湖湾小区）属于南阳湖街道", "翠湖湾"),
        # full-width letters and digits, spaces
        ("于洪区 翠湖湾 小区１２号", "st-nanyanghu", "地址中的“翠湖湾小区”属于南阳湖街道", None),
        # a landmark
        ("于洪广场东门", "st-yuhong", "地址中的“于洪广场”属于于洪街道", "于洪广场"),
        # a name that contains the district's name whole is still found
        ("于洪区人民政府门前", "st-yuhong", "地址中的“于洪区人民政府”属于于洪街道", None),
        # a road under one street
        ("洪湖二街18号", "st-nanyanghu", "地址中的“洪湖二街”属于南阳湖街道", "洪湖二街"),
        # a road under two streets, decided by a community of one of them
        ("沈辽路翠湖湾小区门口", "st-nanyanghu", "地址中的“翠湖湾小区”属于南阳湖街道", None),
        # …or by a crossing road through exactly one of them
        (
            "沈辽路与宁山西路交叉口",
            "st-lingxi",
            "地址中的“沈辽路”与“宁山西路”都经过陵西街道",
            "沈辽路、宁山西路",
        ),
        # …or by a street's bare name among them
        (
            "怒江北街北陵段",
            "st-beiling",
            "“怒江北街”跨越陵西街道、北陵街道，地址中的“北陵”指向北陵街道",
            None,
        ),
        # a street office's full name and an alias
        ("陵西街道某某小区", "st-lingxi", "地址中的“陵西街道”属于陵西街道", "陵西街道"),
        ("北陵街道办事处院内", "st-beiling", "地址中的“北陵街道办事处”属于北陵街道", None),
        # a community agreeing with the street's name is the reason given
        ("南阳湖街道翠湖湾", "st-nanyanghu", "地址中的“翠湖湾”（翠湖湾小区）属于南阳湖街道", None),
        # a street's bare name alone
        ("陵西某厂院内", "st-lingxi", "地址中的“陵西”指向陵西街道", "陵西"),
    ],
)
def test_an_address_that_decides(
    address: str, street: str, reason: str, matched: str | None
) -> None:
    decision = GAZETTEER.decide(address)
    assert decision.street_code == street
    assert decision.street_name == STREETS[street]
    assert decision.reason == reason
    assert decision.source == "gazetteer" and decision.decided and decision.candidates == ()
    if matched is not None:
        assert decision.matched == matched


@pytest.mark.parametrize(
    ("address", "reason", "candidates"),
    [
        ("", "地址为空", ()),
        ("   ", "地址为空", ()),
        ("某某市某某路1号", "地址未匹配到地名库", ()),
        # the 于洪 of 于洪区 is not 于洪街道
        ("沈阳市于洪区", "地址未匹配到地名库", ()),
        ("辽宁省沈阳市于洪区某某路", "地址未匹配到地名库", ()),
        # a road through two streets, alone
        (
            "于洪区沈辽路123号",
            "“沈辽路”跨越陵西街道、南阳湖街道，无法确定",
            ("st-lingxi", "st-nanyanghu"),
        ),
        # two roads both through the same two streets
        (
            "沈辽路与沈辽路辅路",
            "“沈辽路”跨越陵西街道、南阳湖街道，无法确定",
            ("st-lingxi", "st-nanyanghu"),
        ),
        # roads with no street in common
        (
            "洪湖二街与黄河北大街",
            "地址中的“洪湖二街”属于南阳湖街道，“黄河北大街”属于北陵街道，没有共同的街道，无法确定",
            ("st-nanyanghu", "st-beiling"),
        ),
        # specific places of two streets
        (
            "宁山社区翠湖湾小区",
            "地址中的“宁山社区”属于陵西街道，“翠湖湾小区”属于南阳湖街道，指向不同街道，无法确定",
            ("st-lingxi", "st-nanyanghu"),
        ),
        (
            "陵西街道翠湖湾小区",
            "地址中的“陵西街道”属于陵西街道，“翠湖湾小区”属于南阳湖街道，指向不同街道，无法确定",
            ("st-lingxi", "st-nanyanghu"),
        ),
        # two bare names
        ("陵西北陵之间", "地址中的“陵西”指向陵西街道，“北陵”指向北陵街道，无法确定", None),
    ],
)
def test_an_address_that_does_not_decide_says_why(
    address: str, reason: str, candidates: tuple[str, ...] | None
) -> None:
    decision = GAZETTEER.decide(address)
    assert decision.street_code is None and decision.street_name == ""
    assert decision.reason == reason
    assert not decision.decided and decision.source == ""
    if candidates is not None:
        assert decision.candidates == candidates


def test_the_longest_name_wins_where_names_overlap() -> None:
    places = [
        place("翠湖湾", COMMUNITY, "st-lingxi"),
        place("翠湖湾小区", COMMUNITY, "st-nanyanghu"),
    ]
    assert decide("翠湖湾小区1号", places).street_code == "st-nanyanghu"
    assert decide("翠湖湾1号", places).street_code == "st-lingxi"


def test_a_community_beats_a_road_and_a_road_beats_a_bare_street_name() -> None:
    places = [
        place("洪湖二街", ROAD, "st-nanyanghu"),
        place("宁山社区", COMMUNITY, "st-lingxi"),
        *street_places("st-beiling", "北陵街道", []),
    ]
    assert decide("洪湖二街宁山社区", places).street_code == "st-lingxi"
    assert decide("北陵洪湖二街", places).street_code == "st-nanyanghu"


def test_the_same_name_for_the_same_street_is_one_place() -> None:
    places = [
        *street_places("st-lingxi", "陵西街道", []),
        place("陵西街道", STREET, "st-lingxi"),
    ]
    assert decide("陵西街道", places).street_code == "st-lingxi"


def test_names_shorter_than_two_characters_are_never_matched() -> None:
    assert decide("东", [place("东", LANDMARK, "st-lingxi")]).reason == "地址未匹配到地名库"


def test_normalising() -> None:
    assert normalise(" 翠湖湾　小区 （Ａ区）") == "翠湖湾小区(a区)"
    assert normalise("") == ""


def test_a_proposal_from_a_thousand_entries_is_fast() -> None:
    import time

    many = [place(f"测试小区{i}号院", COMMUNITY, "st-lingxi") for i in range(2000)]
    gazetteer = Gazetteer([*PLACES, *many])
    started = time.perf_counter()
    for _ in range(100):
        gazetteer.decide("沈阳市于洪区沈辽路与宁山西路交叉口测试小区1999号院东门")
    assert (time.perf_counter() - started) / 100 < 0.005


# --- A point, and the two combined ----------------------------------------------------------------

BOUNDARIES = [
    Boundary.of(
        "st-lingxi", "陵西街道", {"type": "Polygon", "coordinates": [square(123.30, 41.80)]}
    ),
    Boundary.of(
        "st-nanyanghu", "南阳湖街道", {"type": "Polygon", "coordinates": [square(123.35, 41.80)]}
    ),
]


def test_a_point_is_located_in_one_boundary_or_says_why_not() -> None:
    assert locate(BOUNDARIES, 123.31, 41.81) == PointResult("st-lingxi", "陵西街道")
    assert locate(BOUNDARIES, None, None).why == "未提供坐标"
    assert locate([], 123.31, 41.81).why == "尚未导入街道边界"
    assert "不在任何已导入的街道边界内" in locate(BOUNDARIES, 100.0, 30.0).why
    overlapping = [*BOUNDARIES, Boundary.of("st-beiling", "北陵街道", BOUNDARIES[0].geometry)]
    both = locate(overlapping, 123.31, 41.81)
    assert both.street is None and both.overlapping == ("st-lingxi", "st-beiling")
    assert both.why == "坐标位于多个街道边界的重叠处（陵西街道、北陵街道）"


def by_text(address: str) -> StreetDecision:
    return GAZETTEER.decide(address)


def test_address_and_point_agreeing() -> None:
    decision = combine(by_text("宁山社区"), locate(BOUNDARIES, 123.31, 41.81))
    assert decision.street_code == "st-lingxi" and decision.source == "gazetteer+boundary"
    assert decision.reason == "地址中的“宁山社区”属于陵西街道；坐标也位于陵西街道的边界内"


def test_address_and_point_disagreeing_decide_nothing_and_name_both() -> None:
    decision = combine(by_text("宁山社区"), locate(BOUNDARIES, 123.36, 41.81))
    assert decision.street_code is None
    assert decision.candidates == ("st-lingxi", "st-nanyanghu")
    assert decision.reason == (
        "无法确定属地街道：地址指向陵西街道（地址中的“宁山社区”属于陵西街道），"
        "坐标却位于南阳湖街道的边界内，两者不一致"
    )


def test_the_point_decides_when_the_address_does_not() -> None:
    decision = combine(by_text("沈辽路88号"), locate(BOUNDARIES, 123.36, 41.81))
    assert decision.street_code == "st-nanyanghu" and decision.source == "boundary"
    assert decision.reason == (
        "坐标位于南阳湖街道的边界内（“沈辽路”跨越陵西街道、南阳湖街道，无法确定）"
    )
    only_point = combine(by_text(""), locate(BOUNDARIES, 123.31, 41.81))
    assert only_point.reason == "坐标位于陵西街道的边界内"


def test_the_address_decides_when_the_point_does_not() -> None:
    for point in (locate(BOUNDARIES, None, None), locate(BOUNDARIES, 100.0, 30.0)):
        decision = combine(by_text("翠湖湾小区"), point)
        assert decision == by_text("翠湖湾小区")


def test_neither_deciding_says_why_each_could_not() -> None:
    decision = combine(by_text("某某路"), locate(BOUNDARIES, None, None))
    assert decision.street_code is None
    assert decision.reason == "无法确定属地街道：地址未匹配到地名库；未提供坐标"
    road = combine(by_text("沈辽路"), locate([], 123.31, 41.81))
    assert road.reason == "无法确定属地街道：“沈辽路”跨越陵西街道、南阳湖街道；尚未导入街道边界"
    assert road.candidates == ("st-lingxi", "st-nanyanghu")


# --- The file's rows ------------------------------------------------------------------------------

LOOKUP = street_lookup(
    [
        (StreetRef("st-lingxi", "陵西街道"), ["陵西街道", "陵西", "st-lingxi", "210114003"]),
        (StreetRef("st-nanyanghu", "南阳湖街道"), ["南阳湖街道", "南阳湖街道办事处"]),
        (StreetRef("st-old", "旧街道", active=False), ["旧街道"]),
    ]
)


def problems(text: str, encoding: str = "utf-8") -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_entries(text.encode(encoding), LOOKUP)
    return [f.message for f in caught.value.fields]


def test_a_csv_file_in_utf8_or_gbk_with_comments_parses() -> None:
    text = (
        "# 注释行\n名称,类别,所属街道,别名,备注\n"
        "翠湖湾小区,社区,南阳湖街道办事处,翠湖湾、翠湖湾小区；翠湖湾二期,\n"
        "沈辽路,道路,210114003,,\n沈辽路,road,南阳湖街道,,跨两个街道\n"
    )
    for encoding in ("utf-8-sig", "gbk"):
        rows = parse_entries(text.encode(encoding), LOOKUP)
        assert [(r.row, r.name, r.kind, r.street) for r in rows] == [
            (3, "翠湖湾小区", COMMUNITY, "st-nanyanghu"),
            (4, "沈辽路", ROAD, "st-lingxi"),
            (5, "沈辽路", ROAD, "st-nanyanghu"),
        ]
        assert rows[0].aliases == ("翠湖湾", "翠湖湾二期")
    tabbed = "类别\t名称\t所属街道\n地标\t于洪广场\t陵西\n"
    assert parse_entries(tabbed.encode(), LOOKUP)[0].name == "于洪广场"


def test_every_bad_row_is_named() -> None:
    found = problems(
        "名称,类别,所属街道,别名,备注\n"
        ",社区,陵西街道,,\n"
        "甲小区,小区,陵西街道,,\n"
        "乙小区,社区,火星街道,,\n"
        "丙小区,社区,旧街道,,\n"
        "东,地标,陵西街道,,\n"
        "丁小区,社区,陵西街道,西,\n"
        "戊小区,社区,陵西街道,,\n"
        "戊 小区,地标,南阳湖街道,,\n"
        "沈辽路,道路,陵西街道,,\n"
        "沈辽路,道路,陵西,,\n"
        "己路,道路,陵西街道,,\n"
        "己路,社区,南阳湖街道,,\n"
    )
    assert found == [
        "第2行：名称不能为空",
        "第3行：类别“小区”无效，应为街道、社区、道路、地标之一",
        "第4行：没有名称、别名或编码为“火星街道”的街道",
        "第5行：旧街道已停用",
        "第6行：名称“东”太短，至少2个字",
        "第7行：别名“西”太短，至少2个字",
        "第9行：名称“戊 小区”与第8行重复（只有道路可以分属多个街道，每个街道各写一行，类别都填道路）",
        "第11行：道路“沈辽路”在同一街道下与第10行重复",
        "第13行：名称“己路”与第12行重复（只有道路可以分属多个街道，每个街道各写一行，类别都填道路）",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("名字,类别,所属街道\n甲,社区,陵西\n", "第1行：不认识的列“名字”"),
        ("名称,类别\n甲小区,社区\n", "第1行：缺少“所属街道”列"),
        ("名称,类别,所属街道\n", "没有任何数据行"),
        ("", "文件是空的"),
    ],
)
def test_a_file_without_the_right_header_or_rows_is_refused(text: str, expected: str) -> None:
    assert expected in problems(text)[0]


def test_a_file_that_is_no_table_is_refused() -> None:
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04garbage", b"\xd0\xcf\x11\xe0"):
        with pytest.raises(InvalidInput) as caught:
            parse_entries(data, LOOKUP)
        assert caught.value.fields[0].code == "invalid_file"

"""Repeat calls, the rules (incidents/repeats.py): pure, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from liandong.incidents import repeats
from liandong.incidents.repeats import (
    Call,
    address_similarity,
    elapsed_label,
    normalise_text,
    parse_address,
    phone_digits,
    same_phone,
    score,
    text_similarity,
)

AT = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("报警人称：小区楼道漏水！", "小区楼道漏水"),
        ("来电反映，楼上装修噪音很大。", "楼上装修噪音大"),
        ("群众报警称 路口井盖丢了", "路口井盖丢失"),
        ("ＡＢＣ１２３，暖气管道漏水", "abc123供热管线漏水"),  # full width, synonyms
    ],
)
def test_a_description_is_compared_without_width_punctuation_and_boilerplate(raw, expected):
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    "a, b, low, high",
    [
        ("报警人称楼道内供热管线漏水", "来电反映：楼道内供热管线漏水。", 0.99, 1.0),
        (
            "报警人称小区楼道内供热管线漏水，热水流到一楼，地面积水。",
            "来电反映：楼道暖气管道漏水，一楼地面全是水！",
            0.6,
            0.9,
        ),
        ("楼上装修噪音扰民，晚上十点还在施工", "来电反映楼上夜间装修施工噪音很大", 0.4, 0.8),
        ("路面井盖缺失，已有电动车差点掉进去", "报警人称路口井盖丢了，很危险", 0.35, 0.6),
        ("楼上装修噪音扰民", "小区门口垃圾堆积无人清运", 0.0, 0.05),
        ("报警人称小区楼道内供热管线漏水", "楼道里有人吸烟，烟味很大", 0.0, 0.2),
        ("", "楼道漏水", 0.0, 0.0),
    ],
)
def test_text_similarity(a, b, low, high):
    assert low <= text_similarity(a, b) <= high
    assert text_similarity(a, b) == text_similarity(b, a)


def test_an_address_is_parsed_into_its_parts():
    place = parse_address("辽宁省沈阳市于洪区城东湖街道丁香湖北路12号翠湖湾小区五号楼3单元502")
    assert place.street_office == "城东湖街道"
    assert (place.road, place.number) == ("丁香湖北路", "12号")
    assert (place.estate, place.building, place.unit) == ("翠湖湾小区", "5号楼", "3单元")
    # a road written right before the estate is not part of its name
    assert parse_address("鸭绿江街翠湖湾小区").estate == "翠湖湾小区"
    assert parse_address("黄河街小区2栋").estate == "黄河街小区"


@pytest.mark.parametrize(
    "a, b, similarity, shared",
    [
        ("于洪区翠湖湾小区5号楼", "翠湖湾小区5号楼", 1.0, "翠湖湾小区5号楼"),
        ("于洪区丁香湖北路12号翠湖湾小区5号楼3单元", "翠湖湾小区五号楼", 0.9, "翠湖湾小区5号楼"),
        ("翠湖湾小区5号楼3单元", "翠湖湾小区5号楼3单元402", 1.0, "翠湖湾小区5号楼3单元"),
        ("翠湖湾小区东门", "翠湖湾小区5号楼", 0.75, "翠湖湾小区"),
        ("翠湖湾小区5号楼", "翠湖湾小区7号楼", 0.6, "翠湖湾小区"),
        ("怒江北街188号", "于洪区陵西街道怒江北街188号院内", 0.9, "怒江北街188号"),
        ("怒江北街188号", "怒江北街20号", 0.5, "怒江北街"),
        ("沙岭路与西江街交叉口", "西江街与沙岭路交汇处", 0.9, "沙岭路与西江街"),
        ("迎宾路12号", "昆山西路75号", 0.0, ""),
        ("翠湖湾小区", "黄河街小区", 0.0, None),
        ("", "翠湖湾小区", 0.0, ""),
    ],
)
def test_address_similarity(a, b, similarity, shared):
    found = address_similarity(a, b)
    if shared is None:  # unrelated places: only their few shared characters, never "near"
        assert found.similarity < repeats.NEAR_PLACE
        return
    assert found.similarity == pytest.approx(similarity, abs=0.01)
    assert found.shared == shared


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("13840012345", "138 4001 2345", True),
        ("+86 138-4001-2345", "13840012345", True),
        ("008613840012345", "13840012345", True),
        ("024-86001234", "02486001234", True),
        ("13840012345", "13840012346", False),
        ("110", "110", False),  # too short to name a caller
        ("", "", False),  # anonymised
    ],
)
def test_same_phone(a, b, same):
    assert same_phone(a, b) is same


def test_phone_digits_drop_the_country_code():
    assert phone_digits("+86 138 4001 2345") == "13840012345"


@pytest.mark.parametrize(
    "delta, label",
    [
        (timedelta(minutes=0), "1分钟内"),
        (timedelta(minutes=25), "25分钟内"),
        (timedelta(minutes=60), "1小时内"),
        (timedelta(minutes=61), "2小时内"),
        (timedelta(hours=-2), "2小时内"),
        (timedelta(hours=72), "3天内"),
    ],
)
def test_elapsed_label(delta, label):
    assert elapsed_label(delta) == label


def call(content, address, phone="13800000001", minutes=0):
    return Call(content, address, phone, AT + timedelta(minutes=minutes))


LEAK = "报警人称小区楼道内供热管线漏水，热水流到一楼，地面积水。"
LEAK_AGAIN = "来电反映：楼道暖气管道漏水，一楼地面全是水！"
NOISE = "楼上装修噪音扰民，晚上十点还在施工"


def test_the_same_number_is_offered_with_the_time_but_never_the_number():
    found = score(
        call(NOISE, "怒江北街188号", "13840012345", 120),
        call("小区门口垃圾堆积", "昆山西路75号", "138 4001 2345"),
    )
    assert found is not None and found.same_caller
    assert found.reason == "同一来电号码，2小时内"
    assert "2345" not in found.reason and "138" not in found.reason
    assert 0.5 <= found.similarity < 0.6  # a same-number call about something else


def test_near_the_same_place_with_a_similar_description_is_offered_with_both():
    found = score(
        call(LEAK, "于洪区丁香湖北路12号翠湖湾小区5号楼3单元"),
        call(LEAK_AGAIN, "翠湖湾小区五号楼", "13900000002"),
    )
    assert found is not None and not found.same_caller
    text = text_similarity(LEAK, LEAK_AGAIN)
    assert found.reason == f"地点相近（同为“翠湖湾小区5号楼”），描述相似度{text:.2f}"
    assert found.similarity == pytest.approx(0.4 * 0.9 + 0.6 * text, abs=0.01)


def test_the_same_number_and_the_same_place_rank_above_either():
    same_everything = score(call(LEAK, "翠湖湾小区5号楼"), call(LEAK_AGAIN, "翠湖湾小区5号楼"))
    place_only = score(
        call(LEAK, "翠湖湾小区5号楼"), call(LEAK_AGAIN, "翠湖湾小区5号楼", "13900000002")
    )
    number_only = score(call(LEAK, "翠湖湾小区5号楼"), call(NOISE, "昆山西路75号"))
    assert same_everything and place_only and number_only
    assert same_everything.reason.startswith("同一来电号码，1分钟内；地点相近")
    assert same_everything.similarity > max(place_only.similarity, number_only.similarity)


def test_on_the_same_road_a_close_description_is_offered():
    found = score(
        call("路面井盖缺失", "怒江北街188号", phone=""),
        call("报警人称路口井盖丢了，很危险", "怒江北街20号", phone=""),
    )
    assert found is not None and found.reason.startswith("地点相近（同为“怒江北街”）")


@pytest.mark.parametrize(
    "a, b",
    [
        # the same place, another matter
        ((NOISE, "翠湖湾小区5号楼"), ("小区门口垃圾堆积无人清运", "翠湖湾小区5号楼")),
        # the same matter, another place
        ((LEAK, "翠湖湾小区5号楼"), (LEAK_AGAIN, "昆山西路75号")),
        # the same road only: the description must be closer than this
        (
            ("路面井盖缺失，已有电动车差点掉进去", "怒江北街188号"),
            ("报警人称路口井盖丢了，很危险", "怒江北街20号"),
        ),
        # no number to match on and nothing in common
        ((NOISE, ""), ("", "")),
    ],
)
def test_dissimilar_calls_are_not_offered(a, b):
    assert score(call(*a, phone=""), call(*b, phone="")) is None


def test_the_rules_are_pure_python():
    source = Path(repeats.__file__).read_text(encoding="utf-8")
    assert "import django" not in source and "from django" not in source

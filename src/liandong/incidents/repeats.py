"""Repeat calls (重复来电): is an open incident the one a new call is about? Pure Python, no Django.

Two ways an open incident is offered as the one to merge into:

- the same caller number (digits only, a +86/0086 prefix ignored, at least 7 digits): the reason
  names the number only as "同一来电号码" (never the number: it is personal data, privacy.py);
- near the same place with a similar description: the addresses share a specific part (the same
  estate, the same building, the same road and house number, or one address contains the other)
  and the descriptions' character bigrams are close (cosine, after normalisation: full-width to
  half-width, punctuation and spaces dropped, the operators' boilerplate 报警人称/来电反映/… removed).

`similarity` (0..1) orders the candidates: for a place match it is 0.4 × address + 0.6 × text;
the same number lifts it to 0.5 + 0.5 × that, so a same-number call about the same thing ranks
first and a same-number call about something else still ranks above a vague place match.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

#: How close the addresses must be to count as "near the same place" (the same estate: 0.7).
NEAR_PLACE = 0.6
#: How similar the descriptions must be at a place that is near.
SIMILAR_TEXT = 0.35
#: At a place only as near as the same road (0.5), the descriptions must be closer.
SIMILAR_TEXT_ON_ROAD = 0.55
#: The fewest digits a number needs to identify a caller (not 110, not an extension).
MIN_PHONE_DIGITS = 7

#: What operators and citizens put before the substance of a call; removed before comparing.
BOILERPLATE = (
    "群众报警称",
    "群众来电称",
    "群众来电反映",
    "群众反映",
    "报警人报称",
    "报警人称",
    "报警人反映",
    "来电人称",
    "来电人反映",
    "来电反映",
    "来电称",
    "市民反映",
    "市民来电",
    "报警称",
    "反映",
    "现场",
    "请相关部门",
    "请尽快处理",
    "尽快处理",
    "希望",
)
_BOILERPLATE = re.compile("|".join(sorted(map(re.escape, BOILERPLATE), key=len, reverse=True)))
#: Characters that carry no meaning of their own in a description.
_FILLER = set("的了在有是和也都很就还又被把让给着吧啊呢吗")
_ADMIN = re.compile(r"^(中国)?(辽宁省?)?(沈阳市?)?(于洪区?)?")

_STREET_OFFICE = re.compile(r"[\u4e00-\u9fff]{2,5}?街道(?:办事处)?")
_ESTATE = re.compile(
    r"[\u4e00-\u9fff]{2,10}?(?:小区|社区|花园|家园|公寓|新村|新城|大厦|广场|园区|市场|学校|医院|"
    r"嘉园|雅苑|名苑|华府|公馆|村)"
)
_ROAD = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:大街|大道|路|街|巷|胡同))(\d+(?:-\d+)?号)?")
_BUILDING = re.compile(r"(\d+)(?:号楼|栋|幢|#楼|#)")
_UNIT = re.compile(r"(\d+)单元")
_JOINS = re.compile(r"与|和|及|交叉|交汇|交口")


def _half_width(text: str) -> str:
    """Full-width letters, digits and punctuation as half-width (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _keep(char: str) -> bool:
    return char.isalnum() or "\u4e00" <= char <= "\u9fff"


#: Words callers use for the same thing, written one way before comparing.
SYNONYMS = {
    "暖气": "供热",
    "采暖": "供热",
    "管道": "管线",
    "跑水": "漏水",
    "冒水": "漏水",
    "缺失": "丢失",
    "丢了": "丢失",
    "没了": "丢失",
    "噪声": "噪音",
    "太吵": "噪音",
    "吵闹": "噪音",
    "扰民": "噪音",
    "垃圾桶": "垃圾",
    "停电": "断电",
    "没电": "断电",
    "停水": "断水",
    "没水": "断水",
}
_SYNONYMS = re.compile("|".join(sorted(SYNONYMS, key=len, reverse=True)))


def normalise_text(text: str) -> str:
    """A description without width, punctuation, spaces, boilerplate and filler characters, and
    with common synonyms written one way."""
    text = _BOILERPLATE.sub("", "".join(c for c in _half_width(text) if _keep(c)))
    text = _SYNONYMS.sub(lambda m: SYNONYMS[m.group(0)], text)
    return "".join(c for c in text if c not in _FILLER)


def bigrams(text: str) -> Counter[str]:
    if len(text) < 2:
        return Counter([text] if text else [])
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(n * b[k] for k, n in a.items() if k in b)
    norm = math.sqrt(sum(n * n for n in a.values())) * math.sqrt(sum(n * n for n in b.values()))
    return dot / norm if norm else 0.0


def text_similarity(a: str, b: str) -> float:
    """The mean of the cosines of the characters and of the character bigrams of two normalised
    descriptions (0..1): bigrams for the same words, characters for the same things said in
    other words."""
    na, nb = normalise_text(a), normalise_text(b)
    return round(0.5 * cosine(Counter(na), Counter(nb)) + 0.5 * cosine(bigrams(na), bigrams(nb)), 4)


def normalise_address(address: str) -> str:
    """An address without width, punctuation, spaces, the province/city/district prefix and
    Chinese-numeral building numbers spelt out as digits (三号楼 → 3号楼)."""
    text = "".join(c for c in _half_width(address) if _keep(c) or c in "#-")
    text = re.sub(
        r"([一二三四五六七八九十]+)(号楼|栋|幢|单元)", lambda m: f"{_numeral(m[1])}{m[2]}", text
    )
    return _ADMIN.sub("", text)


def _numeral(chinese: str) -> int:
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if chinese == "十":
        return 10
    if chinese.startswith("十"):
        return 10 + digits.get(chinese[1:], 0)
    if "十" in chinese:
        tens, _, ones = chinese.partition("十")
        return digits.get(tens, 0) * 10 + digits.get(ones, 0)
    return digits.get(chinese, 0)


@dataclass(frozen=True)
class Place:
    """The parts of an address that say where, from the least to the most specific."""

    text: str
    street_office: str = ""
    estate: str = ""
    road: str = ""
    number: str = ""
    building: str = ""
    unit: str = ""
    #: every road named, for an intersection (沙岭路与西江街交叉口)
    roads: tuple[str, ...] = ()


def _estate(text: str) -> str:
    """The estate (小区, 花园…) an address names, without a road written right before it."""
    found = _ESTATE.search(re.sub(r"\d+(?:-\d+)?号?", "|", text))
    if found is None:
        return ""
    estate = found.group(0)
    road = _ROAD.match(estate)
    if road and not road.group(2) and _ESTATE.fullmatch(estate[road.end() :]):
        return estate[road.end() :]
    return estate


def parse_address(address: str) -> Place:
    text = normalise_address(address)
    office = _STREET_OFFICE.search(text)
    rest = text[office.end() :] if office else text
    estate = _estate(rest)
    road = _ROAD.search(rest)
    building = _BUILDING.search(rest)
    unit = _UNIT.search(rest)
    return Place(
        text=rest,
        street_office=office.group(0) if office else "",
        estate=estate,
        road=road.group(1) if road else "",
        number=(road.group(2) or "") if road else "",
        building=f"{building.group(1)}号楼" if building else "",
        unit=f"{unit.group(1)}单元" if unit else "",
        roads=tuple(dict.fromkeys(m.group(1) for m in _ROAD.finditer(_JOINS.sub("|", rest)))),
    )


@dataclass(frozen=True)
class AddressMatch:
    similarity: float
    #: the most specific part both addresses name, for the reason ("翠湖湾小区5号楼")
    shared: str = ""


def address_similarity(a: str, b: str) -> AddressMatch:
    """How near two addresses are, from the most specific part they share (0..1)."""
    pa, pb = parse_address(a), parse_address(b)
    if not pa.text or not pb.text:
        return AddressMatch(0.0)
    if pa.text == pb.text:
        return AddressMatch(1.0, pa.text)
    found = [AddressMatch(0.0)]
    if pa.estate and pa.estate == pb.estate:
        if pa.building and pa.building == pb.building:
            same_unit = pa.unit and pa.unit == pb.unit
            found.append(
                AddressMatch(
                    1.0 if same_unit else 0.9, pa.estate + pa.building + pa.unit * bool(same_unit)
                )
            )
        elif pa.building and pb.building:
            found.append(AddressMatch(0.6, pa.estate))  # the same estate, another building
        else:
            found.append(AddressMatch(0.75, pa.estate))
    if pa.road and pa.road == pb.road:
        if pa.number and pa.number == pb.number:
            found.append(AddressMatch(0.9, pa.road + pa.number))
        else:
            found.append(AddressMatch(0.5, pa.road))
    crossing = [r for r in pa.roads if r in pb.roads]
    if len(crossing) >= 2:  # the same intersection, however it is written
        found.append(AddressMatch(0.9, "与".join(crossing[:2])))
    shorter, longer = sorted((pa.text, pb.text), key=len)
    if len(shorter) >= 4 and shorter in longer:  # one names a part of the other
        found.append(AddressMatch(0.85, shorter))
    # what neither part names (a landmark, an intersection): the characters they share
    overlap = cosine(bigrams(pa.text), bigrams(pb.text))
    found.append(AddressMatch(round(0.7 * overlap, 4), ""))
    return max(found, key=lambda m: m.similarity)


def same_phone(a: str, b: str) -> bool:
    """The same caller number, however it was written (spaces, dashes, +86)."""
    da, db = phone_digits(a), phone_digits(b)
    return len(da) >= MIN_PHONE_DIGITS and da == db


def phone_digits(phone: str) -> str:
    digits = "".join(c for c in _half_width(phone) if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


@dataclass(frozen=True)
class Call:
    """What is known of a call: an incident's, or a text not yet an incident."""

    content: str
    address: str
    caller_phone: str
    received_at: datetime


@dataclass(frozen=True)
class Candidate:
    reason: str
    similarity: float
    text_similarity: float
    address_similarity: float
    same_caller: bool


def elapsed_label(delta: timedelta) -> str:
    """How far apart two calls were, rounded up: 30分钟内, 2小时内, 3天内."""
    minutes = max(1, math.ceil(abs(delta.total_seconds()) / 60))
    if minutes < 60:
        return f"{minutes}分钟内"
    hours = math.ceil(minutes / 60)
    return f"{hours}小时内" if hours <= 48 else f"{math.ceil(hours / 24)}天内"


def score(call: Call, other: Call) -> Candidate | None:
    """Whether `other` (an open incident) is offered for `call` to merge into, why, and how
    similar; None when it is not."""
    text = text_similarity(call.content, other.content)
    place = address_similarity(call.address, other.address)
    combined = round(0.4 * place.similarity + 0.6 * text, 4)
    caller = same_phone(call.caller_phone, other.caller_phone)
    near = (place.similarity >= NEAR_PLACE and text >= SIMILAR_TEXT) or (
        place.similarity >= 0.5 and text >= SIMILAR_TEXT_ON_ROAD
    )
    if not caller and not near:
        return None
    reasons = []
    if caller:
        reasons.append(f"同一来电号码，{elapsed_label(call.received_at - other.received_at)}")
    if near:
        where = f"（同为“{place.shared}”）" if place.shared else ""
        reasons.append(f"地点相近{where}，描述相似度{text:.2f}")
    similarity = 0.5 + 0.5 * combined if caller else combined
    return Candidate(
        reason="；".join(reasons),
        similarity=round(min(1.0, similarity), 2),
        text_similarity=text,
        address_similarity=place.similarity,
        same_caller=caller,
    )

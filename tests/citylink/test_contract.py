"""The contract's field rules (shared/spec/city-interface.md) as pure functions, no database.

Every rule of the two inbound bodies has a case here: breaking it yields exactly one FieldError that
names the offending field; keeping it yields none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from liandong.citylink import contract
from liandong.clock import BEIJING

NOW = datetime(2026, 11, 30, 9, 15, tzinfo=BEIJING)
MISSING = object()


def _t(delta: timedelta = timedelta(), tz: Any = BEIJING) -> str:
    return (NOW + delta).astimezone(tz).isoformat(timespec="seconds")


def incident(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "incident_id": "SY20261130000123",
        "received_at": _t(timedelta(minutes=-3)),
        "transferred_at": _t(timedelta(minutes=-1)),
        "caller_name": "张先生",
        "caller_phone": "13840012345",
        "address": "于洪区陵西街道怒江北街188号",
        "longitude": 123.31,
        "latitude": 41.84,
        "coordinate_system": "gcj02",
        "content": "报警人称楼上暖气管道漏水，水已流到楼道。",
        "city_category": "求助",
        "police_dispatched": False,
        "urgency": "normal",
        "repeat_calls": 0,
    }
    for key, value in overrides.items():
        if value is MISSING:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def message(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": "MSG-0001",
        "type": "supplement",
        "sent_at": _t(),
        "text": "报警人补充：漏水点在三楼。",
    }
    for key, value in overrides.items():
        if value is MISSING:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _fields(errors: list[Any]) -> list[str]:
    return [e.field for e in errors]


# --- the valid bodies ---------------------------------------------------------------------------


def test_given_a_complete_valid_incident_when_validated_then_no_errors_and_values_kept():
    cleaned, errors = contract.validate_incident(incident(), NOW)
    assert errors == []
    assert cleaned is not None
    assert cleaned.incident_id == "SY20261130000123"
    assert cleaned.received_at == NOW - timedelta(minutes=3)
    assert cleaned.transferred_at == NOW - timedelta(minutes=1)
    assert cleaned.caller_phone == "13840012345"
    assert cleaned.longitude == pytest.approx(123.31)
    assert cleaned.latitude == pytest.approx(41.84)
    assert cleaned.police_dispatched is False
    assert cleaned.urgency == "normal"
    assert cleaned.repeat_calls == 0


def test_given_only_the_required_fields_when_validated_then_defaults_apply():
    body = {
        k: incident()[k]
        for k in (
            "incident_id",
            "received_at",
            "transferred_at",
            "caller_phone",
            "address",
            "content",
            "police_dispatched",
        )
    }
    cleaned, errors = contract.validate_incident(body, NOW)
    assert errors == []
    assert cleaned is not None
    assert cleaned.coordinate_system == "gcj02"  # the contract's default
    assert cleaned.longitude is None and cleaned.latitude is None
    assert cleaned.caller_name == "" and cleaned.city_category == "" and cleaned.urgency == ""
    assert cleaned.repeat_calls == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("incident_id", "a"),
        ("incident_id", "A" * 64),
        ("incident_id", "Az09_.-"),
        ("received_at", _t(timedelta(minutes=4))),
        ("received_at", _t(timedelta(minutes=5))),
        ("received_at", _t(timedelta(hours=-1))),
        ("caller_name", ""),
        ("caller_name", "名" * 50),
        ("caller_name", None),
        ("caller_phone", "123"),
        ("caller_phone", "1" * 20),
        ("caller_phone", "+86 138-4001-2345"),
        ("address", "路"),
        ("address", "路" * 200),
        ("coordinate_system", "wgs84"),
        ("coordinate_system", "bd09"),
        ("coordinate_system", "gcj02"),
        ("content", "水"),
        ("content", "水" * 5000),
        ("city_category", ""),
        ("city_category", "类" * 50),
        ("police_dispatched", True),
        ("urgency", "urgent"),
        ("urgency", "normal"),
        ("repeat_calls", 0),
        ("repeat_calls", 7),
        ("longitude", 73),
        ("longitude", 136),
        ("longitude", 123),
    ],
)
def test_given_a_value_within_the_rule_when_validated_then_it_is_accepted(field, value):
    overrides = {field: value}
    if field == "received_at":
        overrides["transferred_at"] = value
    cleaned, errors = contract.validate_incident(incident(**overrides), NOW)
    assert errors == []
    assert cleaned is not None


@pytest.mark.parametrize(("lng", "lat"), [(73, 3), (136, 54), (73.0, 54.0), (135.99, 3.01)])
def test_given_coordinates_on_china_box_edges_when_validated_then_accepted(lng, lat):
    _, errors = contract.validate_incident(incident(longitude=lng, latitude=lat), NOW)
    assert errors == []


def test_given_neither_longitude_nor_latitude_when_validated_then_accepted():
    _, errors = contract.validate_incident(incident(longitude=MISSING, latitude=MISSING), NOW)
    assert errors == []


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-30T01:14:00Z",
        "2026-11-30T01:14:00.250Z",
        "2026-11-30T09:14:00+08:00",
        "2026-11-29T20:14:00-05:00",
    ],
)
def test_given_rfc3339_times_with_any_offset_when_validated_then_accepted(value):
    cleaned, errors = contract.validate_incident(
        incident(received_at=value, transferred_at=value), NOW
    )
    assert errors == []
    assert cleaned is not None
    assert cleaned.received_at.utcoffset() is not None


def test_given_times_in_other_offsets_when_checked_for_the_future_then_the_instant_counts():
    # 4 minutes ahead written in UTC is fine; 6 minutes ahead written in UTC-5 is not.
    ok = _t(timedelta(minutes=4), tz=UTC)
    _, errors = contract.validate_incident(incident(received_at=ok, transferred_at=ok), NOW)
    assert errors == []
    value = _t(timedelta(minutes=6), tz=timezone(timedelta(hours=-5)))
    _, errors = contract.validate_incident(incident(received_at=value, transferred_at=value), NOW)
    assert _fields(errors) == ["received_at"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("20261130T091200+0800", id="iso-basic-format"),
        pytest.param("2026-W48-1T09:12:00+08:00", id="iso-week-date"),
        pytest.param("2026-11-30T09:12:00+08:00:30", id="offset-with-seconds"),
    ],
)
def test_given_a_time_that_is_not_rfc3339_when_validated_then_the_field_is_named(value):
    _, errors = contract.validate_incident(incident(received_at=value), NOW)
    assert _fields(errors) == ["received_at"]


def test_given_unknown_extra_fields_when_validated_then_they_are_ignored():
    body = incident(extra="x", nested={"a": [1, 2]}, flag=None)
    _, errors = contract.validate_incident(body, NOW)
    assert errors == []


# --- every rule of POST /incidents, one offending field at a time -----------------------------

WRONG_TYPES_STRING = [12345, 1.5, True, ["x"], {"v": "x"}]
WRONG_TYPES_BOOL = ["true", "false", 1, 0, ["x"], {"v": True}]
WRONG_TYPES_NUMBER = ["123.3", True, False, [123.3], {"v": 123.3}]
WRONG_TYPES_INT = ["1", True, 1.5, [1], {"v": 1}]

STRING_FIELDS = (
    "incident_id",
    "received_at",
    "transferred_at",
    "caller_name",
    "caller_phone",
    "address",
    "coordinate_system",
    "content",
    "city_category",
    "urgency",
)

INCIDENT_VIOLATIONS: list[Any] = [
    *(
        pytest.param(field, {field: value}, id=f"{field}-type-{type(value).__name__}")
        for field in STRING_FIELDS
        for value in WRONG_TYPES_STRING
    ),
    *(
        pytest.param("police_dispatched", {"police_dispatched": v}, id=f"police-type-{v!r}")
        for v in WRONG_TYPES_BOOL
    ),
    *(
        pytest.param(f, {f: v}, id=f"{f}-type-{v!r}")
        for f in ("longitude", "latitude")
        for v in WRONG_TYPES_NUMBER
    ),
    *(
        pytest.param("repeat_calls", {"repeat_calls": v}, id=f"repeat-type-{v!r}")
        for v in WRONG_TYPES_INT
    ),
    # required fields missing, or null
    *(
        pytest.param(f, {f: absent}, id=f"{f}-{'missing' if absent is MISSING else 'null'}")
        for f in (
            "incident_id",
            "received_at",
            "transferred_at",
            "caller_phone",
            "address",
            "content",
            "police_dispatched",
        )
        for absent in (MISSING, None)
    ),
    # incident_id: 1–64 characters of [A-Za-z0-9_.-]
    pytest.param("incident_id", {"incident_id": ""}, id="id-empty"),
    pytest.param("incident_id", {"incident_id": "A" * 65}, id="id-65"),
    pytest.param("incident_id", {"incident_id": "SY 2026"}, id="id-space"),
    pytest.param("incident_id", {"incident_id": "SY/2026"}, id="id-slash"),
    pytest.param("incident_id", {"incident_id": "警情2026"}, id="id-chinese"),
    pytest.param("incident_id", {"incident_id": "SY2026\n"}, id="id-trailing-newline"),
    pytest.param("incident_id", {"incident_id": "ＳＹ２０２６"}, id="id-fullwidth"),
    # times
    pytest.param("received_at", {"received_at": "2026-11-30T09:12:00"}, id="received-no-offset"),
    pytest.param("received_at", {"received_at": "2026-11-30"}, id="received-date-only"),
    pytest.param("received_at", {"received_at": "昨天上午"}, id="received-words"),
    pytest.param("received_at", {"received_at": ""}, id="received-empty"),
    pytest.param("received_at", {"received_at": "1796001300"}, id="received-unix-string"),
    pytest.param(
        "received_at",
        {
            "received_at": _t(timedelta(minutes=5, seconds=1)),
            "transferred_at": _t(timedelta(hours=1)),
        },
        id="received-5min-1s-future",
    ),
    pytest.param(
        "received_at",
        {"received_at": _t(timedelta(days=1)), "transferred_at": _t(timedelta(days=2))},
        id="received-tomorrow",
    ),
    pytest.param(
        "transferred_at", {"transferred_at": "2026-11-30T09:14:00"}, id="transferred-no-offset"
    ),
    pytest.param(
        "transferred_at",
        {"transferred_at": _t(timedelta(minutes=-3, seconds=-1))},
        id="transferred-1s-before-received",
    ),
    pytest.param(
        "transferred_at",
        {"transferred_at": _t(timedelta(days=-1))},
        id="transferred-day-before-received",
    ),
    # caller_name ≤ 50
    pytest.param("caller_name", {"caller_name": "名" * 51}, id="name-51"),
    # caller_phone: 3–20 of digits, +, - and spaces
    pytest.param("caller_phone", {"caller_phone": "138abc12345"}, id="phone-letters"),
    pytest.param("caller_phone", {"caller_phone": "12"}, id="phone-2"),
    pytest.param("caller_phone", {"caller_phone": "1" * 21}, id="phone-21"),
    pytest.param("caller_phone", {"caller_phone": ""}, id="phone-empty"),
    pytest.param("caller_phone", {"caller_phone": "(024)8888888"}, id="phone-parentheses"),
    pytest.param("caller_phone", {"caller_phone": "１３８４００１２３４５"}, id="phone-fullwidth"),
    pytest.param("caller_phone", {"caller_phone": "13840012345\n"}, id="phone-trailing-newline"),
    # address 1–200, content 1–5000, city_category ≤ 50
    pytest.param("address", {"address": ""}, id="address-empty"),
    pytest.param("address", {"address": "路" * 201}, id="address-201"),
    pytest.param("content", {"content": ""}, id="content-empty"),
    pytest.param("content", {"content": "水" * 5001}, id="content-5001"),
    pytest.param("city_category", {"city_category": "类" * 51}, id="category-51"),
    # coordinates: both or neither, inside China's box
    pytest.param("latitude", {"latitude": MISSING}, id="longitude-without-latitude"),
    pytest.param("longitude", {"longitude": MISSING}, id="latitude-without-longitude"),
    pytest.param("latitude", {"latitude": None}, id="longitude-with-null-latitude"),
    pytest.param("longitude", {"longitude": 72.99}, id="lng-below-73"),
    pytest.param("longitude", {"longitude": 136.01}, id="lng-above-136"),
    pytest.param("longitude", {"longitude": -123.31}, id="lng-negative"),
    pytest.param("latitude", {"latitude": 2.99}, id="lat-below-3"),
    pytest.param("latitude", {"latitude": 54.01}, id="lat-above-54"),
    pytest.param("latitude", {"latitude": 10**30}, id="lat-huge-int"),
    # choices
    pytest.param("coordinate_system", {"coordinate_system": "GCJ02"}, id="crs-upper"),
    pytest.param("coordinate_system", {"coordinate_system": "wgs-84"}, id="crs-dash"),
    pytest.param("coordinate_system", {"coordinate_system": ""}, id="crs-empty"),
    pytest.param("coordinate_system", {"coordinate_system": "epsg:4326"}, id="crs-epsg"),
    pytest.param("urgency", {"urgency": "URGENT"}, id="urgency-upper"),
    pytest.param("urgency", {"urgency": "high"}, id="urgency-high"),
    pytest.param("urgency", {"urgency": ""}, id="urgency-empty"),
    # repeat_calls ≥ 0
    pytest.param("repeat_calls", {"repeat_calls": -1}, id="repeat-negative"),
]


@pytest.mark.parametrize(("field", "overrides"), INCIDENT_VIOLATIONS)
def test_given_one_rule_broken_when_incident_validated_then_exactly_that_field_is_named(
    field, overrides
):
    cleaned, errors = contract.validate_incident(incident(**overrides), NOW)
    assert cleaned is None
    assert _fields(errors) == [field], errors
    assert all(e.code and e.message for e in errors)


def test_given_several_bad_fields_when_validated_then_each_is_listed_once():
    body = incident(
        incident_id="bad id",
        caller_phone="abc",
        address="",
        latitude=99,
        police_dispatched="yes",
        urgency="asap",
        repeat_calls=-3,
        content=MISSING,
    )
    cleaned, errors = contract.validate_incident(body, NOW)
    assert cleaned is None
    names = _fields(errors)
    assert sorted(names) == sorted(
        [
            "incident_id",
            "caller_phone",
            "address",
            "latitude",
            "police_dispatched",
            "urgency",
            "repeat_calls",
            "content",
        ]
    )


@pytest.mark.parametrize("body", [[], [incident()], "text", 12, None, True])
def test_given_a_body_that_is_not_an_object_when_validated_then_one_error_for_the_whole_body(body):
    cleaned, errors = contract.validate_incident(body, NOW)
    assert cleaned is None
    assert _fields(errors) == ["$"]
    cleaned, errors = contract.validate_message(body)
    assert cleaned is None
    assert _fields(errors) == ["$"]


# --- messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="supplement"),
        pytest.param({"type": "withdraw", "text": "报警人已自行处理，撤回"}, id="withdraw"),
        pytest.param({"type": "urge"}, id="urge-with-text"),
        pytest.param({"type": "urge", "text": MISSING}, id="urge-without-text"),
        pytest.param({"type": "urge", "text": None}, id="urge-null-text"),
        pytest.param({"text": "字" * 2000}, id="text-2000"),
        pytest.param({"text": "字"}, id="text-1"),
        pytest.param({"message_id": "m" * 64}, id="id-64"),
        pytest.param({"sent_at": "2026-11-30T01:15:00Z"}, id="sent-utc"),
    ],
)
def test_given_a_valid_message_when_validated_then_accepted(overrides):
    cleaned, errors = contract.validate_message(message(**overrides))
    assert errors == []
    assert cleaned is not None


MESSAGE_VIOLATIONS: list[Any] = [
    *(
        pytest.param(f, {f: v}, id=f"{f}-type-{type(v).__name__}")
        for f in ("message_id", "type", "sent_at", "text")
        for v in WRONG_TYPES_STRING
    ),
    *(
        pytest.param(f, {f: absent}, id=f"{f}-{'missing' if absent is MISSING else 'null'}")
        for f in ("message_id", "type", "sent_at")
        for absent in (MISSING, None)
    ),
    pytest.param("message_id", {"message_id": ""}, id="id-empty"),
    pytest.param("message_id", {"message_id": "m" * 65}, id="id-65"),
    pytest.param("message_id", {"message_id": "msg 1"}, id="id-space"),
    pytest.param("message_id", {"message_id": "消息1"}, id="id-chinese"),
    pytest.param("message_id", {"message_id": "msg-1\n"}, id="id-trailing-newline"),
    pytest.param("type", {"type": "Supplement"}, id="type-capital"),
    pytest.param("type", {"type": "cancel"}, id="type-unknown"),
    pytest.param("type", {"type": ""}, id="type-empty"),
    pytest.param("sent_at", {"sent_at": "2026-11-30T09:15:00"}, id="sent-no-offset"),
    pytest.param("sent_at", {"sent_at": "今天"}, id="sent-words"),
    pytest.param("text", {"text": MISSING}, id="supplement-without-text"),
    pytest.param("text", {"text": None}, id="supplement-null-text"),
    pytest.param("text", {"text": ""}, id="supplement-empty-text"),
    pytest.param("text", {"type": "withdraw", "text": MISSING}, id="withdraw-without-text"),
    pytest.param("text", {"type": "withdraw", "text": ""}, id="withdraw-empty-text"),
    pytest.param("text", {"text": "字" * 2001}, id="text-2001"),
    pytest.param("text", {"type": "urge", "text": "字" * 2001}, id="urge-text-2001"),
    pytest.param("text", {"type": "urge", "text": 5}, id="urge-text-number"),
]


@pytest.mark.parametrize(("field", "overrides"), MESSAGE_VIOLATIONS)
def test_given_one_rule_broken_when_message_validated_then_exactly_that_field_is_named(
    field, overrides
):
    cleaned, errors = contract.validate_message(message(**overrides))
    assert cleaned is None
    assert _fields(errors) == [field], errors


def test_given_a_message_with_every_field_wrong_when_validated_then_each_is_listed():
    body = {"message_id": "", "type": "ping", "sent_at": "now", "text": 1}
    _, errors = contract.validate_message(body)
    assert sorted(_fields(errors)) == ["message_id", "sent_at", "text", "type"]


# --- content hash (idempotency: "the same content") -----------------------------------------


def test_given_the_same_content_in_another_key_order_then_the_hash_is_the_same():
    body = incident()
    reordered = dict(reversed(list(body.items())))
    assert contract.content_hash(body) == contract.content_hash(reordered)


@pytest.mark.parametrize(
    "change",
    [
        {"content": "另一件事"},
        {"police_dispatched": True},
        {"extra": 1},
        {"repeat_calls": 1},
    ],
)
def test_given_any_change_of_content_then_the_hash_differs(change):
    assert contract.content_hash(incident()) != contract.content_hash(incident(**change))

"""The city interface's field rules (shared/spec/city-interface.md), as pure functions.

Each validator takes the decoded JSON and returns the cleaned values and a list of FieldErrors,
one per offending field (field = the JSON path of the field, e.g. "latitude")."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from liandong.common.errors import FieldError

ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
PHONE_RE = re.compile(r"[0-9+\- ]{3,20}")
RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MESSAGE_TYPES = ("supplement", "urge", "withdraw")
COORDINATE_SYSTEMS = ("gcj02", "wgs84", "bd09")


def content_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Checker:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.errors: list[FieldError] = []

    def fail(self, field: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def string(
        self,
        field: str,
        *,
        required: bool,
        min_len: int = 0,
        max_len: int,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        if field not in self.payload or self.payload[field] is None:
            if required:
                self.fail(field, "required", f"{field} is required")
            return None
        value = self.payload[field]
        if not isinstance(value, str):
            self.fail(field, "invalid_type", f"{field} must be a string")
            return None
        if len(value) < min_len or len(value) > max_len:
            self.fail(field, "invalid_length", f"{field} must be {min_len}–{max_len} characters")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(field, "invalid_format", f"{field} has characters that are not allowed")
            return None
        return value

    def time(self, field: str, *, required: bool) -> datetime | None:
        raw = self.string(field, required=required, min_len=1, max_len=40)
        if raw is None:
            return None
        if not RFC3339_RE.fullmatch(raw):
            self.fail(field, "invalid_time", f"{field} must be an RFC 3339 time with an offset")
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            self.fail(field, "invalid_time", f"{field} must be an RFC 3339 time with an offset")
            return None
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            self.fail(
                field, "out_of_range", f"{field} must be between {EARLIEST_YEAR} and {LATEST_YEAR}"
            )
            return None
        return value

    def boolean(self, field: str, *, required: bool) -> bool | None:
        if field not in self.payload or self.payload[field] is None:
            if required:
                self.fail(field, "required", f"{field} is required")
            return None
        value = self.payload[field]
        if not isinstance(value, bool):
            self.fail(field, "invalid_type", f"{field} must be true or false")
            return None
        return value

    def number(self, field: str, low: float, high: float) -> float | None:
        if field not in self.payload or self.payload[field] is None:
            return None
        value = self.payload[field]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, "invalid_type", f"{field} must be a number")
            return None
        if not low <= value <= high:
            self.fail(field, "out_of_range", f"{field} must be between {low} and {high}")
            return None
        return float(value)

    def choice(self, field: str, choices: tuple[str, ...], *, required: bool) -> str | None:
        value = self.string(field, required=required, max_len=20)
        if value is not None and value not in choices:
            self.fail(field, "invalid_choice", f"{field} must be one of {', '.join(choices)}")
            return None
        return value


@dataclass(frozen=True)
class CityIncident:
    incident_id: str
    received_at: datetime
    transferred_at: datetime
    caller_name: str
    caller_phone: str
    address: str
    longitude: float | None
    latitude: float | None
    coordinate_system: str
    content: str
    city_category: str
    police_dispatched: bool
    urgency: str
    repeat_calls: int


def validate_incident(payload: Any, now: datetime) -> tuple[CityIncident | None, list[FieldError]]:
    if not isinstance(payload, dict):
        return None, [FieldError("$", "not_object", "the body must be a JSON object")]
    c = _Checker(payload)
    incident_id = c.string("incident_id", required=True, min_len=1, max_len=64, pattern=ID_RE)
    received_at = c.time("received_at", required=True)
    transferred_at = c.time("transferred_at", required=True)
    if received_at and received_at > now + timedelta(minutes=5):
        c.fail("received_at", "in_future", "received_at is more than 5 minutes in the future")
    if received_at and transferred_at and transferred_at < received_at:
        c.fail("transferred_at", "before_received", "transferred_at is before received_at")
    caller_name = c.string("caller_name", required=False, max_len=50)
    caller_phone = c.string("caller_phone", required=True, min_len=3, max_len=20, pattern=PHONE_RE)
    address = c.string("address", required=True, min_len=1, max_len=200)
    lng = c.number("longitude", 73, 136)
    lat = c.number("latitude", 3, 54)
    has_lng = payload.get("longitude") is not None
    has_lat = payload.get("latitude") is not None
    if has_lng != has_lat:
        missing = "latitude" if has_lng else "longitude"
        c.fail(missing, "required", "longitude and latitude come together or not at all")
    coordinate_system = c.choice("coordinate_system", COORDINATE_SYSTEMS, required=False)
    content = c.string("content", required=True, min_len=1, max_len=5000)
    city_category = c.string("city_category", required=False, max_len=50)
    police = c.boolean("police_dispatched", required=True)
    urgency = c.choice("urgency", ("urgent", "normal"), required=False)
    repeat_calls = payload.get("repeat_calls")
    if repeat_calls is not None and (
        isinstance(repeat_calls, bool) or not isinstance(repeat_calls, int) or repeat_calls < 0
    ):
        c.fail("repeat_calls", "invalid_type", "repeat_calls must be an integer ≥ 0")
    if repeat_calls is not None and isinstance(repeat_calls, int) and repeat_calls > 10_000:
        c.fail("repeat_calls", "out_of_range", "repeat_calls is implausibly large")
    if c.errors:
        return None, c.errors
    assert incident_id and received_at and transferred_at and caller_phone and address and content
    assert police is not None
    return (
        CityIncident(
            incident_id=incident_id,
            received_at=received_at,
            transferred_at=transferred_at,
            caller_name=caller_name or "",
            caller_phone=caller_phone,
            address=address,
            longitude=lng,
            latitude=lat,
            coordinate_system=coordinate_system or "gcj02",
            content=content,
            city_category=city_category or "",
            police_dispatched=police,
            urgency=urgency or "",
            repeat_calls=int(repeat_calls or 0),
        ),
        [],
    )


@dataclass(frozen=True)
class CityMessage:
    message_id: str
    type: str
    sent_at: datetime
    text: str


def validate_message(payload: Any) -> tuple[CityMessage | None, list[FieldError]]:
    if not isinstance(payload, dict):
        return None, [FieldError("$", "not_object", "the body must be a JSON object")]
    c = _Checker(payload)
    message_id = c.string("message_id", required=True, min_len=1, max_len=64, pattern=ID_RE)
    kind = c.choice("type", MESSAGE_TYPES, required=True)
    sent_at = c.time("sent_at", required=True)
    text = c.string("text", required=kind in ("supplement", "withdraw"), min_len=1, max_len=2000)
    if c.errors:
        return None, c.errors
    assert message_id and kind and sent_at
    return CityMessage(message_id=message_id, type=kind, sent_at=sent_at, text=text or ""), []


#: NUL and lone surrogates (what json.loads lets through from "\\ud800"); compiled once.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_strings(value: Any, path: str = "$") -> list[FieldError]:
    """Strings a database cannot keep (NUL characters, lone surrogates), wherever they are."""
    errors: list[FieldError] = []
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            field = path.removeprefix("$.") if path != "$" else path
            errors.append(
                FieldError(
                    field, "invalid_characters", f"{field} contains characters that are not allowed"
                )
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            errors += unstorable_strings(key, path)
            errors += unstorable_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors += unstorable_strings(item, f"{path}[{index}]")
    return errors

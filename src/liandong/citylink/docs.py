"""OpenAPI text for the city interface: request bodies are parsed by hand (to answer exactly as
the contract says), so their schemas are declared here."""

from __future__ import annotations

from typing import Any

DESCRIPTION = (
    "市安管平台与区安管平台之间的接口（第1版）。每个请求都带 `X-Peer-Id`、`X-Timestamp`（Unix 秒）和 "
    "`X-Signature: sha256=<hex>`（以共享密钥对 `{X-Timestamp}.{原始请求体}` 计算 HMAC-SHA256）。"
    "时间为带时区的 RFC 3339 字符串。错误体为 "
    '`{"error": {"code", "message", "fields": [{"field", "code", "message"}]}}`；'
    "`field` 是出错字段在请求体中的路径（如 `latitude`，整个请求体为 `$`）。"
    "401：missing_credentials / unknown_peer / bad_signature / stale_timestamp；400 malformed_json；"
    "413 请求体超过 256 KiB；415 非 application/json；422 invalid（每个出错字段一条）。"
    "同一 incident_id 内容相同的重发回答 200，内容不同回答 409 conflict；同一 message_id 内容相同的重发回答 200。"
    "区平台在报警信息持久保存之后才回答 201。"
    "本区对接口未规定之处的处理：时间须在2000至2100年之间；repeat_calls 不超过10000；"
    "字符串中不得含 NUL 字符；同一 message_id 内容不同回答 409 conflict；"
    "对已办结、已退回、已合并或已撤回的警情发送任何后续消息均回答 409 closed；"
    "错误中的 field 为出错字段的路径（如 latitude；整个请求体为 $）。"
)

_TIME = {"type": "string", "format": "date-time", "example": "2026-11-30T09:15:00+08:00"}
_ID = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$", "minLength": 1, "maxLength": 64}

INCIDENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "incident_id",
        "received_at",
        "transferred_at",
        "caller_phone",
        "address",
        "content",
        "police_dispatched",
    ],
    "properties": {
        "incident_id": _ID,
        "received_at": _TIME,
        "transferred_at": _TIME,
        "caller_name": {"type": "string", "maxLength": 50},
        "caller_phone": {"type": "string", "pattern": "^[0-9+\\- ]{3,20}$"},
        "address": {"type": "string", "minLength": 1, "maxLength": 200},
        "longitude": {"type": "number", "minimum": 73, "maximum": 136},
        "latitude": {"type": "number", "minimum": 3, "maximum": 54},
        "coordinate_system": {"type": "string", "enum": ["gcj02", "wgs84", "bd09"]},
        "content": {"type": "string", "minLength": 1, "maxLength": 5000},
        "city_category": {"type": "string", "maxLength": 50},
        "police_dispatched": {"type": "boolean"},
        "urgency": {"type": "string", "enum": ["urgent", "normal"]},
        "repeat_calls": {"type": "integer", "minimum": 0},
    },
}

MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message_id", "type", "sent_at"],
    "properties": {
        "message_id": _ID,
        "type": {"type": "string", "enum": ["supplement", "urge", "withdraw"]},
        "sent_at": _TIME,
        "text": {"type": "string", "minLength": 1, "maxLength": 2000},
    },
}

INCIDENT_REQUEST = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": INCIDENT_SCHEMA}}}
}
MESSAGE_REQUEST = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": MESSAGE_SCHEMA}}}
}

"""The city → district interface (/api/city/v1/), exactly as the contract says: HMAC-signed
requests, the contract's error body and status codes, idempotent hand-over."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security.base import AuthBase

from liandong import clock
from liandong.audit import context as audit_context
from liandong.citylink import actions, contract, docs, peers, signing
from liandong.citylink.status import incident_status
from liandong.common.errors import (
    DomainError,
    ErrorBody,
    FieldError,
    InvalidInput,
    NotFound,
)
from liandong.common.renderers import ChineseJSONRenderer
from liandong.incidents import actions as incident_actions
from liandong.incidents.models import Incident

MAX_BODY = 256 * 1024


class CityAuthFailed(DomainError):
    status = 401


class BodyTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class WrongContentType(DomainError):
    status = 415
    code = "unsupported_media_type"


class MalformedJson(DomainError):
    status = 400
    code = "malformed_json"


class HmacAuth(AuthBase):
    """Checks size, content type and the signature before anything is parsed."""

    openapi_type = "apiKey"
    openapi_name = "X-Signature"
    openapi_in = "header"

    def __call__(self, request: HttpRequest) -> peers.InboundPeer:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_BODY:
            raise BodyTooLarge("请求体超过256 KiB")
        body = request.body
        if len(body) > MAX_BODY:
            raise BodyTooLarge("请求体超过256 KiB")
        if request.method == "POST":
            media = (request.content_type or "").lower()
            if media != "application/json":
                raise WrongContentType("Content-Type 必须为 application/json")
        peer_id = request.headers.get("X-Peer-Id", "")
        timestamp = request.headers.get("X-Timestamp", "")
        given = request.headers.get("X-Signature", "")
        if not (peer_id and timestamp and given):
            raise CityAuthFailed("缺少认证请求头", code="missing_credentials")
        peer = peers.inbound_peer(peer_id)  # cached for a few seconds (peers.KEY_CACHE_SECONDS)
        if peer is None:
            raise CityAuthFailed("未知的对端", code="unknown_peer")
        if not signing.matches_any(peer.secrets, timestamp, body, given):
            raise CityAuthFailed("签名不正确", code="bad_signature")
        if not signing.timestamp_is_fresh(timestamp, clock.now().timestamp()):
            raise CityAuthFailed("时间戳与本方时钟相差超过300秒", code="stale_timestamp")
        audit_context.mark_peer(peer_id=peer.peer_id)
        return peer


city_api = NinjaAPI(
    title="联动 — 市安管平台对接接口（市 → 区）",
    version="1",
    urls_namespace="city-v1",
    renderer=ChineseJSONRenderer(),
    auth=HmacAuth(),
    description=docs.DESCRIPTION,
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: list[FieldError] | None = None,
) -> HttpResponse:
    return city_api.create_response(
        request, ErrorBody(code, message, fields or []).as_dict(), status=status
    )


@city_api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, getattr(exc, "fields", None))


@city_api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "missing_credentials", "缺少认证请求头")


@city_api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "invalid", "请求不符合接口规定")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(request: HttpRequest) -> Any:
    """The body as JSON, strictly: no NaN/Infinity, no absurd numbers or nesting."""
    try:
        payload = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedJson("请求体不是有效的JSON") from exc
    bad = contract.unstorable_strings(payload)
    if bad:
        raise InvalidInput(bad, "请求不符合接口规定")
    return payload


def contract_error(fields: list[FieldError]) -> DomainError:
    return InvalidInput(fields, "请求不符合接口规定")


@city_api.post(
    "/incidents",
    summary="市平台移交非警务警情",
    openapi_extra=docs.INCIDENT_REQUEST,
    response={
        201: dict,
        200: dict,
        400: dict,
        401: dict,
        409: dict,
        413: dict,
        415: dict,
        422: dict,
    },
)
def receive_incident(request: HttpRequest) -> HttpResponse:
    payload = _decode(request)
    incident, errors = contract.validate_incident(payload, clock.now())
    if incident is None:
        raise contract_error(errors)
    # A repeat of a stored hand-over (a retry, or two copies at the same moment) is found by the
    # incident id's unique constraint inside the action: answered 200 with the stored incident.
    stored, created = incident_actions.do_receive_city_incident(
        **{k: getattr(incident, k) for k in incident.__dataclass_fields__},
        raw_request=payload,
        raw_body=request.body.decode("utf-8"),
        content_hash=contract.content_hash(payload),
    )
    # The action's transaction has committed here: the incident is durable before we answer 201.
    body = {
        "incident_id": stored.incident_id,
        "status": "accepted",
        "accepted_at": clock.to_beijing(stored.accepted_at).isoformat(),
    }
    return city_api.create_response(request, body, status=201 if created else 200)


@city_api.post(
    "/incidents/{incident_id}/messages",
    summary="市平台后续消息（补充、催办、撤回）",
    openapi_extra=docs.MESSAGE_REQUEST,
    response={
        201: dict,
        200: dict,
        400: dict,
        401: dict,
        404: dict,
        409: dict,
        413: dict,
        415: dict,
        422: dict,
    },
)
def receive_message(request: HttpRequest, incident_id: str) -> HttpResponse:
    payload = _decode(request)
    message, errors = contract.validate_message(payload)
    if message is None:
        raise contract_error(errors)
    created = actions.do_apply_city_message(
        incident_id=incident_id,
        message=message,
        payload=payload,
        raw_body=request.body.decode("utf-8"),
    )
    body = {"message_id": message.message_id, "status": "accepted"}
    return city_api.create_response(request, body, status=201 if created else 200)


@city_api.get(
    "/incidents/{incident_id}",
    summary="查询警情处置情况",
    response={200: dict, 401: dict, 404: dict},
)
def get_incident(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    incident = Incident.objects.filter(incident_id=incident_id, source="city").first()
    if incident is None:
        raise NotFound(f"未知的警情编号：{incident_id}", code="unknown_incident")
    return incident_status(incident)

"""City-link test helpers: a configured city peer and signed requests, as the city sends them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler

from liandong import clock
from liandong.citylink import signing
from liandong.citylink.handler import LeanMiddleware
from liandong.citylink.models import CityPeer, KeyDirection
from liandong.citylink.peers import do_add_peer_key
from liandong.citylink.simulator import ReportReceiver

CITY_SECRET = "city-secret-0123456789abcdef"
DISTRICT_SECRET = "district-secret-0123456789abcdef"


class CityClientHandler(LeanMiddleware, ClientHandler):
    """The test client's handler with the city interface's lean middleware (citylink/handler.py),
    as liandong.wsgi serves /api/city/: the contract's tests run through what production runs."""


class CityClient(Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handler = CityClientHandler(enforce_csrf_checks=False)


@dataclass
class City:
    """The city platform as the tests play it."""

    peer: CityPeer
    client: Client
    secret: str = CITY_SECRET

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | list[Any] | None = None,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        peer_id: str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        raw = (
            body
            if isinstance(body, bytes)
            else b""
            if body is None
            else json.dumps(body, ensure_ascii=False).encode()
        )
        ts = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
        sent = {
            "HTTP_X_PEER_ID": peer_id if peer_id is not None else self.peer.peer_id,
            "HTTP_X_TIMESTAMP": ts,
            "HTTP_X_SIGNATURE": signing.signature(secret or self.secret, ts, raw),
        }
        for name, value in (headers or {}).items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if value is None:
                sent.pop(key, None)
            else:
                sent[key] = value
        url = f"/api/city/v1{path}"
        if method == "GET":
            return self.client.get(url, **sent)
        return self.client.post(url, raw, content_type=content_type, **sent)

    def post_incident(self, payload: dict[str, Any], **kw: Any) -> Any:
        return self.request("POST", "/incidents", payload, **kw)

    def post_message(self, incident_id: str, payload: dict[str, Any], **kw: Any) -> Any:
        return self.request("POST", f"/incidents/{incident_id}/messages", payload, **kw)

    def get_incident(self, incident_id: str, **kw: Any) -> Any:
        return self.request("GET", f"/incidents/{incident_id}", **kw)


@pytest.fixture
def city(db) -> City:
    peer = CityPeer.objects.create(
        peer_id="shenyang-city", reports_url="", district_peer_id="yuhong-district"
    )
    do_add_peer_key(peer=peer, direction=KeyDirection.INBOUND, secret=CITY_SECRET)
    do_add_peer_key(peer=peer, direction=KeyDirection.OUTBOUND, secret=DISTRICT_SECRET)
    return City(peer=peer, client=CityClient())


@pytest.fixture
def receiver(city: City) -> Iterator[ReportReceiver]:
    """The city's /reports endpoint on a real local HTTP server; the peer sends there."""
    rec = ReportReceiver(expected_peer_id="yuhong-district", secrets=[DISTRICT_SECRET]).start()
    city.peer.reports_url = rec.url
    city.peer.save()
    yield rec
    rec.stop()


_counter = iter(range(1, 10**6))


def incident_payload(**overrides: Any) -> dict[str, Any]:
    now = clock.now()
    payload: dict[str, Any] = {
        "incident_id": f"SY2026{next(_counter):08d}",
        "received_at": (now - timedelta(minutes=3)).isoformat(timespec="seconds"),
        "transferred_at": (now - timedelta(minutes=1)).isoformat(timespec="seconds"),
        "caller_name": "张先生",
        "caller_phone": "13840012345",
        "address": "于洪区陵西街道怒江北街188号",
        "longitude": 123.31,
        "latitude": 41.84,
        "content": "报警人称楼上暖气管道漏水，水已流到楼道。",
        "city_category": "求助",
        "police_dispatched": False,
        "urgency": "normal",
        "repeat_calls": 0,
    }
    payload.update(overrides)
    return payload

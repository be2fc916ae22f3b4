"""The notification tests' slow local channels: a real threaded HTTP server answering as the SMS
gateway and the WeCom robot do, after a delay, counting the requests in flight at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from liandong.notifications.actions import do_set_robot_secrets
from liandong.notifications.models import Delivery, GroupRobot, SmsGateway
from liandong.rosters.models import DutyShift
from tests.factories import dispatched, unit

T0 = datetime.fromisoformat("2026-11-30T09:00:00+08:00")
#: Both channels' success: the SMS gateway's code 0 and the robot's errcode 0.
OK_BODY = json.dumps({"result": {"code": 0}, "errcode": 0, "errmsg": "ok"})


class SlowReceiver:
    """The SMS gateway and the WeCom robot on one local threaded HTTP server: each answer comes
    after `delay` seconds; counts the requests in flight at once and what arrived."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.status = 200
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.bodies: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                    receiver.bodies.append(body.decode("utf-8"))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.in_flight -= 1
                data = OK_BODY.encode() if receiver.status == 200 else b"{}"
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    slow = SlowReceiver(delay=0.3)
    slow.thread.start()
    yield slow
    slow.server.shutdown()
    slow.server.server_close()


@pytest.fixture
def slow_channels(db, frozen_at, receiver, monkeypatch, settings):
    """The ecology unit's WeCom robot and its person on duty (an SMS each): every dispatch to it
    makes two deliveries, both to the slow receiver."""
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    settings.LIANDONG_NOTIFY_CONCURRENCY = 8
    frozen_at(T0)
    SmsGateway.objects.create(
        name="政务短信平台",
        url=receiver.url("/sms/send"),
        body_template='{"mobile": "${phone}", "content": "${text}"}',
        success_json_path="result.code",
        success_value="0",
    )
    robot = GroupRobot.objects.create(unit=unit("ecology"), kind="wecom", name="值班群")
    do_set_robot_secrets(robot=robot, url=receiver.url("/robot?key=K1"), secret=None)
    DutyShift.objects.create(
        unit=unit("ecology"),
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=12),
        person_name="张值班",
        phone="13900000001",
        duty_place="分局值班室",
    )


def dispatch_to_ecology(times: int) -> int:
    """`times` dispatches to the ecology unit; the number of deliveries they made."""
    for _ in range(times):
        dispatched(level=1, category="noise", primary="ecology", cooperating=())
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"sms", "wecom"}
    return Delivery.objects.count()

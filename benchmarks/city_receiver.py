"""The city load benchmark's counterpart outside the district (city_load.py runs it in a process of
its own, so it never competes with the load generator for a GIL):

- POST /reports: the city's report endpoint as the contract says (../shared/spec/city-interface.md):
  the district's signature checked, sequences per incident followed, any 2xx an acknowledgement —
  the product's own simulator.ReportReceiver does all of it;
- POST /robot: a WeCom group robot answering `{"errcode": 0, "errmsg": "ok"}`, the webhook of every
  unit's robot (so notifications leave the product through a real channel);
- GET /stats: what was received, as JSON."""

from __future__ import annotations

import collections
import json
import threading
from http.server import BaseHTTPRequestHandler
from multiprocessing.synchronize import Event
from typing import Any


def serve(port: int, peer_id: str, secret: str, ready: Event, stop: Event) -> None:
    """Receive until `stop` is set (runs in a child process)."""
    from liandong.citylink.simulator import ReportReceiver

    receiver = ReportReceiver(expected_peer_id=peer_id, secrets=[secret], port=port)
    receiver.stats.reports = collections.deque(maxlen=10)  # type: ignore[assignment]  # bounded
    robot = {"posts": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/robot"):
                with lock:
                    robot["posts"] += 1
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
                return
            status = receiver.handle(self.path, dict(self.headers), body)
            self._answer(status, {"status": "ok"} if status < 300 else {"error": {}})

        def do_GET(self) -> None:  # noqa: N802
            s = receiver.stats
            self._answer(
                200,
                {
                    "reports": s.received,
                    "duplicates": s.duplicates,
                    "gaps": len(s.gaps),
                    "out_of_order": len(s.out_of_order),
                    "overlapping": len(s.overlapping),
                    "most_at_once": s.most_at_once,
                    "bad_signatures": s.bad_signatures,
                    "by_type": dict(s.by_type),
                    "robot_posts": robot["posts"],
                },
            )

    receiver.server.RequestHandlerClass = Handler
    receiver.start()
    ready.set()
    stop.wait()
    receiver.stop()

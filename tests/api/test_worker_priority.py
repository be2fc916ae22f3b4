"""The worker's rounds run below the web server's priority; its deadline watch does not (ADR 25):
under a storm the office's requests and the watch come first, the deliveries catch up after."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from liandong.worker import loop

pytestmark = pytest.mark.skipif(
    not Path("/proc/thread-self/stat").exists(), reason="a thread's nice value is read from /proc"
)


def nice_of_this_thread() -> int:
    return int(Path("/proc/thread-self/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_rounds_run_lower_and_the_watch_keeps_the_server_s_priority(monkeypatch, settings):
    settings.LIANDONG_WORKER_NICE = 5
    seen: dict[str, int] = {}
    stop = threading.Event()

    def a_round(tasks: object = None) -> int:
        seen["round"] = nice_of_this_thread()
        if "watch" in seen:
            stop.set()
        return 0

    def a_sweep() -> int:
        seen["watch"] = nice_of_this_thread()
        return 0

    monkeypatch.setattr(loop, "run_once", a_round)
    monkeypatch.setattr(loop, "sweep_overdue_deadlines", a_sweep)
    monkeypatch.setattr(loop, "watch_pause", lambda: 0.01)
    monkeypatch.setattr(loop, "round_pause", lambda interval: 0.01)
    base = nice_of_this_thread()
    worker = threading.Thread(target=loop.run_forever, kwargs={"interval": 0.01, "stop": stop})
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert seen == {"round": min(base + 5, 19), "watch": base}
    assert nice_of_this_thread() == base  # only the worker's own thread was lowered


def test_no_lowering_when_set_to_zero(monkeypatch, settings):
    settings.LIANDONG_WORKER_NICE = 0
    before = nice_of_this_thread()
    loop.lower_this_thread(settings.LIANDONG_WORKER_NICE)
    assert nice_of_this_thread() == before

"""Structured logs: one JSON object a line, with the request id of the request being served."""

from __future__ import annotations

import json
import logging

from liandong.audit import context
from liandong.audit.logformat import JsonFormatter


def _line(message: str, **kw) -> dict:
    record = logging.LogRecord("liandong.test", logging.WARNING, __file__, 1, message, (), None)
    return json.loads(JsonFormatter().format(record))


def test_a_line_is_json_in_beijing_time_with_the_request_id():
    with context.acting(request_id="abc123"):
        line = _line("派发失败")
    assert line["message"] == "派发失败" and line["level"] == "WARNING"
    assert line["request_id"] == "abc123" and line["time"].endswith("+08:00")


def test_outside_a_request_there_is_no_request_id():
    assert "request_id" not in _line("worker round")

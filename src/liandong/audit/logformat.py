"""Structured logs: one JSON object per line (time in Beijing time, level, logger, message, the
request id of the request being served — the same id the audit trail's entries carry — and the
exception when there is one), for a log collector to index. `LIANDONG_LOG_FORMAT=plain` gives human-readable lines instead."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, BEIJING).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _request_id() -> str:
    # The request context (who acts, the request id) lives with the audit trail's context.
    from liandong.audit import context

    return context.current().request_id

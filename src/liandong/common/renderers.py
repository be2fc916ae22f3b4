"""JSON as both APIs write it."""

from __future__ import annotations

from ninja.renderers import JSONRenderer


class ChineseJSONRenderer(JSONRenderer):
    """Chinese text stays readable in the JSON (UTF-8), not \\u-escaped."""

    json_dumps_params = {"ensure_ascii": False}

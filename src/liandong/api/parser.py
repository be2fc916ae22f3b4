"""The API's JSON body parser: every JSON body of /api/v1 is an object ({...}). An array, a string,
a number or null is refused with 422 even where every field is optional (errors.py answers it)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser


class NotAnObject(ValueError):
    """The body is valid JSON but not an object."""


class ObjectBodyParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise NotAnObject(type(data).__name__)
        return data

"""The WSGI application: the city interface (/api/city/, machine to machine) through its own lean
middleware (citylink/handler.py), everything else through the full stack (settings.MIDDLEWARE)."""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
full_application = get_wsgi_application()

from liandong.citylink.handler import PREFIX, CityLinkHandler  # noqa: E402 (after setup)

city_application = CityLinkHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(PREFIX):
        return city_application(environ, start_response)
    return full_application(environ, start_response)

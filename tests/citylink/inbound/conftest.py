"""The city as the inbound tests play it: one test Client for the whole package (`city` raises a
crash in the test, `lenient` answers it as an HTTP 500)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.citylink.conftest import City, CityClient

_clients: dict[bool, Client] = {}


def _client(raise_exceptions: bool) -> Client:
    """One Client for the package: the first request of a new Client builds the middleware stack, which
    scans the static files, and that would dominate the run time."""
    if raise_exceptions not in _clients:
        # Through the city interface's lean handler, as liandong.wsgi serves /api/city/.
        _clients[raise_exceptions] = CityClient(raise_request_exception=raise_exceptions)
    return _clients[raise_exceptions]


@pytest.fixture
def city(city: City) -> City:
    city.client = _client(True)
    return city


@pytest.fixture
def lenient(city: City) -> City:
    """The same city, but a crash comes back as an HTTP 500 instead of an exception in the test."""
    return City(peer=city.peer, client=_client(False))

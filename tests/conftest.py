"""Shared test set-up: the default data in every database test, a movable clock, API clients."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import pytest

os.environ.setdefault("LIANDONG_HOME", tempfile.mkdtemp(prefix="liandong-test-"))


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[None]:
    """Load the shipped default data once into the test database; each test rolls back to it."""
    from django.core.management import call_command

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        call_command("load_defaults", verbosity=0)
    yield
    from liandong.common import live_signal

    live_signal.listener.stop()  # its connection would keep the test database from being dropped


@pytest.fixture(scope="session", autouse=True)
def _middleware_built_once_per_process() -> Iterator[None]:
    """A server builds its middleware stack once per process; Django's test Client builds it again
    on the first request of every new Client, and WhiteNoise then indexes every static file (tens
    of ms, hundreds of times in the suite). Build it once here too, and again after any settings
    change (the `settings` fixture, override_settings), so what is tested is the same stack."""
    from django.test.client import ClientHandler
    from django.test.signals import setting_changed

    built: dict[str, Any] = {}
    original = ClientHandler.load_middleware

    def load_middleware(self: ClientHandler, is_async: bool = False) -> None:
        if is_async:
            original(self, is_async)
            return
        if not built:
            original(self, is_async)
            built.update(
                _view_middleware=self._view_middleware,
                _template_response_middleware=self._template_response_middleware,
                _exception_middleware=self._exception_middleware,
                _middleware_chain=self._middleware_chain,
            )
        else:
            self.__dict__.update(built)

    def forget(**kwargs: Any) -> None:
        built.clear()

    setting_changed.connect(forget, weak=False)
    ClientHandler.load_middleware = load_middleware  # type: ignore[method-assign]
    try:
        yield
    finally:
        ClientHandler.load_middleware = original  # type: ignore[method-assign]
        setting_changed.disconnect(forget)


@pytest.fixture(autouse=True)
def _default_data(request: pytest.FixtureRequest) -> None:
    """Every test that uses the database starts with the shipped default data (a transactional
    test flushes the tables when it ends, so the next one may need to load them again)."""
    marker_names = {m.name for m in request.node.iter_markers()}
    wants_db = "django_db" in marker_names or any(
        f in request.fixturenames for f in ("db", "transactional_db", "client", "live_server")
    )
    if not wants_db:
        return
    if "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")
    from liandong.units.models import Unit

    if not Unit.objects.exists():
        from django.core.management import call_command

        call_command("load_defaults", verbosity=0)


@pytest.fixture
def frozen_at() -> Iterator[Callable[[str | datetime], None]]:
    """Use as `frozen_at("2026-11-30T09:00:00+08:00")`; moves with liandong.clock.advance."""
    from liandong import clock

    with ExitStack() as stack:

        def freeze(moment: str | datetime) -> None:
            at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
            stack.enter_context(clock.frozen(at))

        yield freeze


@pytest.fixture(scope="session", autouse=True)
def _second_factor_optional() -> None:
    """The suite signs people in with a password; the second factor's own tests
    (tests/api/test_second_factor.py) turn the installation's requirement back on."""
    from django.conf import settings

    settings.LIANDONG_REQUIRE_SECOND_FACTOR = False


@pytest.fixture(scope="session", autouse=True)
def _sessions_without_time_limits() -> None:
    """Tests move the clock by hours and days with people signed in; the session time limits'
    own tests (tests/api/test_deploy_security.py) turn them back on."""
    from django.conf import settings

    settings.LIANDONG_SESSION_IDLE_MINUTES = 0
    settings.LIANDONG_SESSION_MAX_HOURS = 0


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (the overview keeps past weeks there; triage keeps
    the catalogue a few seconds in the process)."""
    from django.core.cache import cache

    from liandong.common.kept import forget_everything
    from liandong.triage.selectors import forget_catalogue

    cache.clear()
    forget_catalogue()
    forget_everything()

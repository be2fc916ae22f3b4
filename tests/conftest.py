"""Shared test set-up: the default data in every database test, a movable clock, API clients."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime

import pytest

os.environ.setdefault("LIANDONG_HOME", tempfile.mkdtemp(prefix="liandong-test-"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """Load the shipped default data once into the test database; each test rolls back to it."""
    from django.core.management import call_command

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        call_command("load_defaults", verbosity=0)


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

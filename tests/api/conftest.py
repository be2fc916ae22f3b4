"""API test set-up: the isolation world, built once per test module.

The world (tests.api.isolation.world) is only read by most tests, and building it takes a few dozen
queries, so each module that asks for it builds it once, inside a transaction that stays open until
the module ends. Every test runs in a savepoint inside that transaction (pytest-django's `db`
fixture), so whatever a test changes is rolled back before the next one; at the end of the module
the whole transaction is rolled back, and the next module starts from the default data only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.isolation.world import World, build_world, fingerprint


@dataclass(frozen=True)
class _Built:
    world: World
    fingerprint: dict[str, Any]


@pytest.fixture(scope="module")
def _module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[_Built]:
    from django.core.management import call_command
    from django.db import transaction

    from liandong.incidents.models import Incident
    from liandong.units.models import Unit

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # A transactional test elsewhere may have flushed the default data.
            if not Unit.objects.exists():
                call_command("load_defaults", verbosity=0)
            world = build_world()
            built = _Built(world=world, fingerprint=fingerprint())
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            incidents = (built.world.incident.pk, built.world.other.pk)
            assert not Incident.objects.filter(pk__in=incidents).exists(), "the world was kept"


@pytest.fixture
def world(_module_world: _Built, db: None) -> World:
    """The module's world, as it was built: a test that finds it changed means an earlier test's
    changes were not rolled back."""
    assert fingerprint() == _module_world.fingerprint, "an earlier test changed the shared world"
    return _module_world.world

"""The security matrix's world, built once per test module exactly like the API isolation world
(tests/api/conftest.py): inside a transaction that stays open until the module ends, every test in
a savepoint inside it, so whatever a test changes is rolled back before the next one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.security.world import Matrix, build_matrix, snapshot


@dataclass(frozen=True)
class _Built:
    matrix: Matrix
    snapshot: dict[str, Any]


@pytest.fixture(scope="module")
def _module_matrix(django_db_setup: None, django_db_blocker: Any) -> Iterator[_Built]:
    from django.core.management import call_command
    from django.db import transaction

    from liandong.incidents.models import Incident
    from liandong.units.models import Unit

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            if not Unit.objects.exists():  # a transactional test elsewhere flushed the defaults
                call_command("load_defaults", verbosity=0)
            matrix = build_matrix()
            built = _Built(matrix=matrix, snapshot=snapshot())
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            assert not Incident.objects.filter(pk=matrix.secret.pk).exists(), "the world was kept"


@pytest.fixture
def matrix(_module_matrix: _Built, db: None) -> Matrix:
    """The module's world as it was built (an earlier test's changes were rolled back)."""
    assert snapshot() == _module_matrix.snapshot, "an earlier test changed the shared world"
    return _module_matrix.matrix


@pytest.fixture
def baseline(_module_matrix: _Built) -> dict[str, Any]:
    """The snapshot of the world as built: what every refused request must leave behind."""
    return _module_matrix.snapshot


@pytest.fixture
def quick_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF takes seconds to typeset and does not depend on who asks: the matrix checks who
    gets it, tests/documents checks what it holds."""
    from liandong.assessment import documents as bulletin_documents
    from liandong.supervision import documents as order_documents

    def stub(doc: Any) -> bytes:
        return b"%PDF-1.4\n%%EOF\n"

    monkeypatch.setattr(order_documents, "supervision_order_pdf", stub)
    monkeypatch.setitem(bulletin_documents.KINDS, "pdf", ("application/pdf", stub))

"""The child rows of instructions loaded in one query (common/child_rows.py) are the ones
prefetch_related reads, field for field and in the same order, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Model

from liandong.incidents import selectors
from liandong.incidents.models import Instruction
from tests.api.test_screen_queries import busy_incident


def _fields(row: Model) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


@pytest.mark.django_db
def test_one_query_reads_what_prefetch_related_reads(django_assert_num_queries: Any) -> None:
    incident, _ = busy_incident()
    expected = list(
        selectors.with_instruction_rows(
            Instruction.objects.filter(incident=incident).order_by("id")
        )
    )
    loaded = list(
        selectors.instruction_columns(Instruction.objects.filter(incident=incident).order_by("id"))
    )
    assert connection.features.supports_json_field  # SQLite probes its JSON1 support once
    with django_assert_num_queries(1):
        selectors.load_instruction_rows(loaded)
    with django_assert_num_queries(0):
        for want, got in zip(expected, loaded, strict=True):
            for name in ("deadlines", "caller_contacts", "attachments"):
                rows = list(getattr(got, name).all())
                assert [_fields(r) for r in rows] == [
                    _fields(r) for r in getattr(want, name).all()
                ], name
                assert all(r.instruction is got for r in rows)  # the parent is set, no query
    assert sum(len(i.attachments.all()) for i in loaded) == 4
    assert any(i.caller_contacts.all() for i in loaded)


@pytest.mark.django_db
def test_parents_without_children_have_none_and_no_parents_cost_nothing(
    django_assert_num_queries: Any,
) -> None:
    incident, _ = busy_incident()
    loaded = list(selectors.instruction_columns(Instruction.objects.filter(incident=incident)))
    cooperating = [i for i in loaded if i.unit.code == "city-mgmt"]
    selectors.load_instruction_rows(cooperating)
    assert list(cooperating[0].attachments.all()) == []
    assert list(cooperating[0].caller_contacts.all()) == []
    assert cooperating[0].deadlines.all()  # its sign clock at least
    with django_assert_num_queries(0):
        selectors.load_instruction_rows([])

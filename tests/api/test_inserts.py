"""common/inserts.insert_rows writes the very rows Django's bulk_create writes (on PostgreSQL by
its own statement, `VALUES` for one row, or, for many rows, by COPY; elsewhere by bulk_create
itself), and refuses models it is not for. Each test runs both PostgreSQL forms (`copy_from`)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.forms.models import model_to_dict

from liandong import clock
from liandong.audit.models import AuditEntry
from liandong.common import inserts
from liandong.common.inserts import insert_rows
from liandong.incidents.events import EventKind
from liandong.incidents.models import Attachment, Deadline, Event, Instruction
from tests.factories import dispatched, instruction_of, office_user

pytestmark = [
    pytest.mark.django_db,
    # one event is given a naive moment on purpose: Django warns, as it does for bulk_create
    pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime"),
]


@pytest.fixture(params=["statement", "copy"], autouse=True)
def copy_from(request, monkeypatch) -> str:
    """The one-statement form, and COPY for every batch (it is taken from COPY_FROM rows on)."""
    if request.param == "copy":
        monkeypatch.setattr(inserts, "COPY_FROM", 1)
    return str(request.param)


def _stored(model, pks):
    return [
        {k: v for k, v in model_to_dict(row).items() if k != "id"}
        for row in model.objects.filter(pk__in=pks).order_by("pk")
    ]


def _events(incident, instruction, actor):
    return [
        Event(
            incident=incident,
            instruction=instruction if n % 2 else None,
            kind=EventKind.URGED if n else EventKind.SUPPLEMENTED,
            summary=f"第{n}条：引号'\"、反斜杠\\、换行\n",
            actor=actor if n else None,
            actor_label="区联动办" if n else "系统",
            # an aware moment, and a naive one read in the project's time zone as Django reads it
            occurred_at=clock.now() if n else datetime(2026, 11, 30, 9, 0, 0),  # noqa: DTZ001
            before={"状态": "待签收", "n": n},
            after={"list": [1, 2.5, None, True]},
            data={},
        )
        for n in range(3)
    ]


@pytest.fixture
def owners(frozen_at):
    """An incident, one of its instructions and an office user: what `_events` needs."""
    frozen_at("2026-11-30T09:00:00.123456+08:00")
    incident = dispatched(level=2)
    return incident, instruction_of(incident, "housing"), office_user()


def test_the_rows_are_those_bulk_create_writes(owners) -> None:
    ours = insert_rows(_events(*owners))
    django = Event.objects.bulk_create(_events(*owners))
    assert all(e.pk and not e._state.adding for e in ours)
    assert _stored(Event, [e.pk for e in ours]) == _stored(Event, [e.pk for e in django])
    assert [e.pk for e in ours] == sorted(e.pk for e in ours)


def test_one_row_at_a_time_is_the_row_bulk_create_writes(owners, copy_from) -> None:
    """A single row goes by its own statement (`VALUES`), or by COPY when COPY takes every batch."""
    ours = [insert_rows([event])[0] for event in _events(*owners)]
    django = Event.objects.bulk_create(_events(*owners))
    assert _stored(Event, [e.pk for e in ours]) == _stored(Event, [e.pk for e in django])


def test_a_key_assigned_before_the_related_row_was_saved_is_taken_from_it(frozen_at) -> None:
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched(level=2)
    template = instruction_of(incident, "housing")
    fresh = Instruction(
        incident=incident,
        unit=template.unit,
        role=template.role,
        level=template.level,
        tier=template.tier,
        dispatched_at=clock.now(),
    )
    deadline = Deadline(
        instruction=fresh,
        kind="sign",
        starts_at=clock.now(),
        limit_amount=30,
        limit_unit="minutes",
        due_at=clock.now(),
        original_due_at=clock.now(),
    )
    insert_rows([fresh])
    (stored,) = insert_rows([deadline])
    assert Deadline.objects.get(pk=stored.pk).instruction_id == fresh.pk


def test_an_audit_entry_keeps_its_address_and_digest(owners) -> None:
    from liandong.audit import services

    event = insert_rows(_events(*owners))[1]
    entry = services._event_entry(event, "催办")
    entry.ip = "10.0.0.7"
    (stored,) = insert_rows([entry])
    again = AuditEntry.objects.get(pk=stored.pk)
    assert (again.ip, again.digest) == ("10.0.0.7", entry.digest)


def test_a_model_with_a_file_is_refused() -> None:
    with pytest.raises(TypeError, match="not for insert_rows"):
        insert_rows([Attachment()])


def test_after_a_copy_the_next_rows_get_new_keys(owners) -> None:
    copied = insert_rows(_events(*owners))
    after = Event.objects.bulk_create(_events(*owners))
    assert min(e.pk for e in after) > max(e.pk for e in copied)
    assert Event.objects.filter(pk__in=[e.pk for e in copied + after]).count() == 6


def test_a_model_whose_key_is_not_drawn_from_a_sequence_is_refused() -> None:
    from datetime import date

    from liandong.stats.models import FactDay

    with pytest.raises(TypeError, match="not for insert_rows"):
        insert_rows([FactDay(day=date(2026, 11, 30), token=1)])

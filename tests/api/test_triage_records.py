"""The record of each dispatch against its proposal, written by the worker (ADR 23): the dispatch
queues a row in its own transaction, the worker's step writes the very record the dispatch used to
write at once, redoing it changes nothing, and a step that dies before its commit leaves the row for
the next round. The dispatch's answer is the incident's detail, built from the rows just written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liandong.incidents import actions
from liandong.incidents.events import EventKind
from liandong.incidents.models import Event, Incident
from liandong.triage import records
from liandong.triage.models import PendingTriageRecord, TriageRecord
from liandong.triage.selectors import propose_for_incident
from liandong.triage.services import do_roll_back_model, do_train_model
from liandong.units.models import Category
from liandong.worker.loop import TASKS, write_triage_records
from tests.factories import new_incident, office_user, unit

pytestmark = pytest.mark.django_db

LEAK = "楼道里暖气管子漏水了，热水一直往下淌，楼梯上全是水"


def _dispatch(dispatcher: Any, incident: Incident, category: str = "noise") -> None:
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=incident,
        incident_class="source_diversion",
        level=2,
        category=Category.objects.get(code=category),
        primary_unit=unit("ecology"),
        cooperating_units=[],
    )


def _record_values(incident: Incident) -> dict[str, Any]:
    return (
        TriageRecord.objects.filter(incident=incident)
        .values(*[f for f in records.RECORD_FIELDS if f != "decided_by"], "decided_by_id")
        .get()
    )


def test_the_dispatch_queues_its_record_in_its_own_transaction():
    dispatcher = office_user()
    incident = new_incident(by=dispatcher, content=LEAK)
    with pytest.raises(RuntimeError), transaction.atomic():
        _dispatch(dispatcher, incident)
        assert PendingTriageRecord.objects.count() == 1
        raise RuntimeError("the dispatch's transaction rolls back")
    assert not PendingTriageRecord.objects.exists()  # nothing queued for a dispatch not made
    _dispatch(dispatcher, incident)
    queued = PendingTriageRecord.objects.get()
    event = Event.objects.get(incident=incident, kind=EventKind.DISPATCHED)
    assert (queued.incident_pk, queued.decided_by_id) == (incident.pk, dispatcher.pk)
    assert queued.decided_at == event.occurred_at
    assert queued.model_number is None  # the shipped model was active
    assert not TriageRecord.objects.exists()  # not computed while the office waits


def test_the_worker_writes_the_record_the_dispatch_used_to_write():
    dispatcher = office_user()
    incident = new_incident(by=dispatcher, content=LEAK)
    _dispatch(dispatcher, incident)  # a correction: the proposal says heating-leak
    assert write_triage_records in TASKS
    assert write_triage_records() == 1 and not PendingTriageRecord.objects.exists()
    incident.refresh_from_db()
    proposal = propose_for_incident(incident)  # what the dispatch computed before (ADR 18)
    event = Event.objects.get(incident=incident, kind=EventKind.DISPATCHED)
    assert _record_values(incident) == {
        "model_version": "内置",
        "proposed_category": proposal.category,
        "proposed_confidence": proposal.confidence,
        "proposed_class": proposal.incident_class,
        "proposed_level": proposal.level,
        "decided_category": "noise",
        "decided_class": "source_diversion",
        "decided_level": 2,
        "corrected": True,
        "decided_by_id": dispatcher.pk,
        "decided_at": event.occurred_at,
    }
    assert proposal.category == "heating-leak"


def test_writing_a_record_again_changes_nothing():
    dispatcher = office_user()
    incident = new_incident(by=dispatcher, content=LEAK)
    _dispatch(dispatcher, incident, category="heating-leak")
    assert write_triage_records() == 1
    first = _record_values(incident)
    assert write_triage_records() == 0  # nothing queued
    event = Event.objects.get(incident=incident, kind=EventKind.DISPATCHED)
    for _ in range(2):  # the same dispatch queued twice more
        PendingTriageRecord.objects.create(
            incident_pk=incident.pk, decided_by=dispatcher, decided_at=event.occurred_at
        )
    assert write_triage_records() == 2
    assert TriageRecord.objects.count() == 1 and _record_values(incident) == first
    PendingTriageRecord.objects.create(  # a dispatch of an incident no longer there
        incident_pk=incident.pk + 1000, decided_by=dispatcher, decided_at=event.occurred_at
    )
    assert write_triage_records() == 1 and not PendingTriageRecord.objects.exists()


def test_a_step_that_dies_before_its_commit_leaves_the_rows_for_the_next_round(monkeypatch):
    dispatcher = office_user()
    incidents = [new_incident(by=dispatcher, content=f"{LEAK}（{n}）") for n in range(3)]
    for incident in incidents:
        _dispatch(dispatcher, incident)

    def dies(queued: Any) -> None:
        for q in queued:
            incident = Incident.objects.get(pk=q.incident_pk)
            records._record(incident, q, propose_for_incident(incident)).save()
        raise SystemExit("killed between the claim and the end")

    monkeypatch.setattr(records, "_write", dies)
    with pytest.raises(SystemExit):
        write_triage_records()
    assert PendingTriageRecord.objects.count() == 3 and not TriageRecord.objects.exists()
    monkeypatch.undo()
    assert write_triage_records() == 3 and not PendingTriageRecord.objects.exists()
    assert TriageRecord.objects.count() == 3


def test_a_proposal_that_fails_is_logged_and_dropped(monkeypatch, caplog):
    dispatcher = office_user()
    incident = new_incident(by=dispatcher, content=LEAK)
    _dispatch(dispatcher, incident)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("no model")

    monkeypatch.setattr(records, "propose", broken)
    assert write_triage_records() == 1  # handled: not retried every round for ever
    assert not PendingTriageRecord.objects.exists() and not TriageRecord.objects.exists()
    assert "not written" in caplog.text


def test_the_record_names_the_model_active_when_the_office_dispatched():
    dispatcher = office_user()
    version = do_train_model(trained_by="测试")
    incident = new_incident(by=dispatcher, content=LEAK)
    _dispatch(dispatcher, incident)
    assert PendingTriageRecord.objects.get().model_number == version.number
    do_roll_back_model()  # back to the shipped model before the worker's round
    write_triage_records()
    assert TriageRecord.objects.get(incident=incident).model_version == f"第{version.number}版"


# --- the dispatch's answer --------------------------------------------------------------------

BODY = {
    "incident_class": "linked_disposal",
    "level": 2,
    "category": "heating-leak",
    "primary_unit": "housing",
    "cooperating_units": ["urban-constr", "city-mgmt"],
}


def test_the_dispatch_answers_the_incidents_detail_from_what_it_wrote(
    frozen_at: Any,
):
    frozen_at("2026-12-01T09:00:00+08:00")
    dispatcher = office_user()
    client = Client()
    client.force_login(dispatcher)
    warm, incident = (new_incident(by=dispatcher, content=LEAK) for _ in range(2))
    client.post(f"/api/v1/incidents/{warm.incident_id}/dispatch", BODY, "application/json")
    # session and user, the gate, the category and units, the action (lock, write, events,
    # audit, queues); the answer's clocks are the rows just written, not read again
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(
            f"/api/v1/incidents/{incident.incident_id}/dispatch", BODY, "application/json"
        )
    assert len(queries.captured_queries) <= 23
    assert not [q for q in queries.captured_queries if "UNION ALL" in q["sql"]]
    assert answer.status_code == 200, answer.content
    detail = client.get(f"/api/v1/incidents/{incident.incident_id}")
    assert answer.json() == detail.json()  # the same body as a fresh read
    body = answer.json()
    assert [u["code"] for u in body["units"]] == ["housing", "urban-constr", "city-mgmt"]
    assert all(len(i["deadlines"]) >= 3 for i in body["instructions"])

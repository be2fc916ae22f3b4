"""The statistics' facts follow the incidents: queued by every event, refreshed by the worker and
before any statistic, rebuilt whole to the same rows."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from liandong.common.errors import DomainError
from liandong.incidents import actions
from liandong.stats.facts import do_rebuild_all_facts, do_refresh_facts
from liandong.stats.models import InstructionFact, StaleIncident
from liandong.worker.loop import run_once
from tests.factories import dispatched, instruction_of, office_user, unit_user


def facts() -> dict[int, dict]:
    return {f.pk: model_to_dict(f) for f in InstructionFact.objects.order_by("pk")}


def test_every_event_queues_its_incident_and_a_refresh_empties_the_queue(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched(level=2)
    assert StaleIncident.objects.filter(incident_pk=incident.pk).exists()
    assert do_refresh_facts() >= 1
    assert not StaleIncident.objects.exists()
    housing = instruction_of(incident, "housing")
    fact = InstructionFact.objects.get(pk=housing.pk)
    assert (fact.sign_met, fact.sign_minutes, fact.primary) == (0, None, True)
    assert fact.category.code == "heating-leak" and fact.incident_class == "linked_disposal"

    frozen_at("2026-11-30T09:12:00+08:00")
    actions.do_sign_instruction(actor=unit_user("housing"), instruction=housing)
    actions.do_urge_instruction(
        actor=office_user(), instruction=instruction_of(incident, "urban-constr"), note="请尽快"
    )
    assert StaleIncident.objects.count() >= 2  # one row per event, never merged
    run_once()  # the worker refreshes them
    assert not StaleIncident.objects.exists()
    fact.refresh_from_db()
    assert (fact.sign_met, fact.sign_minutes) == (1, 12.0)
    assert InstructionFact.objects.get(pk=instruction_of(incident, "urban-constr").pk).urges_office


def test_a_rebuild_writes_the_rows_the_refreshes_wrote(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    one = dispatched(level=1)
    dispatched(primary="ecology", cooperating=(), category="noise")
    frozen_at("2026-11-30T09:40:00+08:00")
    actions.do_sign_instruction(
        actor=unit_user("housing"), instruction=instruction_of(one, "housing")
    )
    do_refresh_facts()
    refreshed = facts()
    InstructionFact.objects.all().delete()
    StaleIncident.objects.create(incident_pk=one.pk)
    assert do_rebuild_all_facts(chunk=1) == len(refreshed) == 3
    assert facts() == refreshed
    assert not StaleIncident.objects.exists()  # what was queued before the rebuild is done


def test_a_rolled_back_action_queues_nothing(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched()
    do_refresh_facts()
    housing = instruction_of(incident, "housing")
    with pytest.raises(DomainError):  # not signed yet: refused
        actions.do_report_result(
            actor=unit_user("housing"), instruction=housing, outcome="resolved", text="x"
        )
    assert not StaleIncident.objects.exists()

"""The statistics' facts follow the incidents: queued by every event, refreshed by the worker and
before any statistic, rebuilt whole to the same rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.forms.models import model_to_dict

from liandong import clock
from liandong.common.errors import DomainError
from liandong.incidents import actions
from liandong.incidents.models import Instruction
from liandong.stats.facts import do_rebuild_all_facts, do_refresh_facts
from liandong.stats.models import InstructionFact, StaleIncident
from liandong.worker.loop import run_once
from tests.factories import declare_holidays, dispatched, instruction_of, office_user, unit_user


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


def _history() -> None:
    """Incidents in every shape the facts count: late and timely stages down to the microsecond,
    urges by the office and the city, returns, joins, extensions, call-backs reached or not,
    one reopening (a second primary) and one made in the very moment of the dispatch."""
    from datetime import timedelta

    from liandong import clock
    from tests.factories import new_incident, unit

    office = office_user()
    housing, coop = unit_user("housing"), unit_user("urban-constr")
    ecology, leader = unit_user("ecology"), unit_user("ecology", role="unit_leader")
    one = dispatched(level=2, by=office)
    h1, u1 = instruction_of(one, "housing"), instruction_of(one, "urban-constr")
    actions.do_urge_instruction(actor=office, instruction=u1, note="请尽快")
    actions.do_city_urge_incident(incident=one, text="市民再次来电")
    clock.advance(timedelta(minutes=20, microseconds=123_457))
    actions.do_sign_instruction(actor=housing, instruction=h1)
    clock.advance(timedelta(minutes=19, seconds=59, microseconds=3))
    actions.do_sign_instruction(actor=coop, instruction=instruction_of(one, "urban-constr"))
    actions.do_request_join(
        actor=coop, instruction=instruction_of(one, "urban-constr"), units=[unit("ecology")],
        reason="需环保配合",
    )  # fmt: skip
    clock.advance(timedelta(minutes=7, microseconds=999_999))
    actions.do_give_feedback(actor=housing, instruction=instruction_of(one, "housing"), text="到场")

    two = dispatched(level=1, primary="ecology", cooperating=(), category="noise", by=office)
    e2 = instruction_of(two, "ecology")
    actions.do_sign_instruction(actor=ecology, instruction=e2)
    actions.do_record_caller_contact(actor=ecology, instruction=fresh(e2), reached=True)
    actions.do_report_result(
        actor=ecology, instruction=fresh(e2), outcome="resolved", text="已制止"
    )
    actions.do_accept_result(actor=office, instruction=fresh(e2))
    actions.do_close_incident(actor=office, incident=two, outcome="已处置")
    # in the moment of the dispatch: it counts for the incident's first primary
    actions.do_record_call_back(actor=office, incident=two, satisfaction="satisfied")
    clock.advance(timedelta(hours=30, seconds=1))
    actions.do_record_call_back(actor=office, incident=two, satisfaction="not_reached")
    actions.do_record_call_back(
        actor=office, incident=two, satisfaction="unsatisfied", note="仍有噪声", reopen=True
    )
    clock.advance(timedelta(hours=2))
    again = two.instructions.order_by("-pk")[0]
    actions.do_sign_instruction(actor=ecology, instruction=again)
    actions.do_record_caller_contact(actor=ecology, instruction=fresh(again), reached=True)
    actions.do_report_result(actor=ecology, instruction=fresh(again), outcome="resolved", text="好")
    actions.do_accept_result(actor=office, instruction=fresh(again))
    actions.do_close_incident(actor=office, incident=two, outcome="已处置")
    actions.do_record_call_back(actor=office, incident=two, satisfaction="basically_satisfied")

    three = new_incident(by=office)
    actions.do_dispatch_incident(
        actor=office, incident=three, incident_class="source_diversion", level=2,
        category=one.category, primary_unit=unit("housing"),
    )  # fmt: skip
    request = actions.do_request_return(
        actor=housing, instruction=instruction_of(three, "housing"), reason="非本单位职责"
    )
    actions.do_decide_return_request(
        actor=office, request=request, reassign_to=unit("ecology"), note="改派"
    )
    e3 = instruction_of(three, "ecology")
    actions.do_sign_instruction(actor=ecology, instruction=e3)
    extension = actions.do_request_extension(
        actor=ecology, instruction=fresh(e3), progress="处置中", reason="需协调",
        proposed_due_at=clock.now() + timedelta(days=7),
    )  # fmt: skip
    if extension.state == "pending_leader":
        extension = actions.do_leader_decide_extension(
            actor=leader, request=extension, approve=True
        )
    actions.do_decide_extension(actor=office, request=extension, grant=True)
    clock.advance(timedelta(days=4))
    actions.do_watch_round()
    late = instruction_of(one, "urban-constr")  # late: missed deadlines
    actions.do_give_feedback(actor=coop, instruction=late, text="已协调")
    actions.do_report_result(actor=coop, instruction=fresh(late), outcome="resolved", text="好")
    actions.do_record_caller_contact(actor=ecology, instruction=fresh(e3), reached=True)


def fresh(instruction: Instruction) -> Instruction:
    return Instruction.objects.get(pk=instruction.pk)


COUNTED = (
    "_met",
    "_missed",
    "_asked",
    "_granted",
    "_office",
    "_city",
    "called_back",
    "satisfied",
    "reopened",
)


def test_the_set_based_rebuild_writes_exactly_the_rows_the_refresh_writes(db, frozen_at):
    """The bulk path (PostgreSQL) against the worker's refresh, the one source of truth."""
    from django.db import connection

    from liandong.incidents.models import Incident

    if connection.vendor != "postgresql":
        pytest.skip("the set-based rebuild is PostgreSQL's")
    frozen_at("2026-11-30T09:00:00.250001+08:00")
    _history()
    StaleIncident.objects.bulk_create(
        StaleIncident(incident_pk=pk) for pk in Incident.objects.values_list("pk", flat=True)
    )
    do_refresh_facts(set_based=False)
    refreshed = facts()
    counted = {k for f in refreshed.values() for k, v in f.items() if v and k.endswith(COUNTED)}
    assert counted == {
        *("sign_met", "sign_missed", "feedback_met", "feedback_missed", "result_met"),
        "result_missed",
        *("caller_contact_met", "caller_contact_missed", "returns_asked", "returns_granted"),
        *("joins_asked", "extensions_asked", "extensions_granted", "urges_office", "urges_city"),
        *("called_back", "satisfied", "reopened"),
    }, counted  # every count the facts keep is exercised
    InstructionFact.objects.all().delete()
    assert do_rebuild_all_facts(chunk=2, set_based=True) == len(refreshed)
    assert facts() == refreshed
    # over stale rows: every column replaced
    InstructionFact.objects.update(sign_minutes=-1.0, urges_city=9, called_back=9, tier=3)
    do_rebuild_all_facts(set_based=True)
    assert facts() == refreshed


def test_the_set_based_refresh_writes_the_rows_of_the_python_refresh_and_only_what_changed(
    db, frozen_at
):
    """The worker's refresh on PostgreSQL (one statement per batch) against the Python refresh;
    a fact already right is not written and its day keeps its cache token."""
    from django.db import connection

    from liandong.incidents.models import Incident
    from liandong.stats.models import FactDay

    if connection.vendor != "postgresql":
        pytest.skip("the set-based refresh is PostgreSQL's")
    frozen_at("2026-11-30T09:00:00.250001+08:00")
    _history()
    everything = list(Incident.objects.values_list("pk", flat=True))

    def refresh(set_based: bool) -> None:
        StaleIncident.objects.bulk_create(StaleIncident(incident_pk=pk) for pk in everything)
        do_refresh_facts(set_based=set_based)
        assert not StaleIncident.objects.exists()

    refresh(set_based=False)
    refreshed = facts()
    InstructionFact.objects.all().delete()
    refresh(set_based=True)
    assert facts() == refreshed

    tokens = dict(FactDay.objects.values_list("day", "token"))
    refresh(set_based=True)
    assert dict(FactDay.objects.values_list("day", "token")) == tokens  # nothing changed

    one = InstructionFact.objects.order_by("pk").first()
    InstructionFact.objects.filter(pk=one.pk).update(urges_city=9, sign_minutes=-1.0)
    refresh(set_based=True)
    assert facts() == refreshed
    day = one.dispatched_at.astimezone(clock.BEIJING).date()
    now = dict(FactDay.objects.values_list("day", "token"))
    assert now[day] != tokens[day]
    assert {d: t for d, t in now.items() if d != day} == {
        d: t for d, t in tokens.items() if d != day
    }


def test_a_calendar_recompute_queues_its_incidents_for_the_due_moments_only(db, frozen_at):
    """The recompute's events queue their incidents for the open deadlines' due moments alone;
    the refresh (on PostgreSQL one statement for those moments only) leaves the very facts a
    whole refresh writes, writes only the facts whose moments moved (their days get new cache
    tokens, the others keep theirs), and an incident also queued whole is refreshed whole."""
    from liandong.incidents.actions import recompute
    from liandong.incidents.models import Incident
    from liandong.stats.models import FactDay

    frozen_at("2026-11-30T09:00:00+08:00")  # level-2 results due at the end of Thursday
    moving = [dispatched(level=2) for _ in range(2)]
    dispatched(level=1)  # its deadlines are counted in hours: the edit does not touch it
    frozen_at("2026-12-04T09:00:00+08:00")
    later = dispatched(level=2)  # due the next Wednesday: Thursday's holiday does not reach it
    do_refresh_facts()
    tokens = dict(FactDay.objects.values_list("day", "token"))

    declare_holidays("2026-12-03")
    assert recompute.recompute_until_done() > 0
    queued = set(StaleIncident.objects.values_list("incident_pk", "dues_only"))
    assert queued == {(incident.pk, True) for incident in moving}
    InstructionFact.objects.filter(incident_id=moving[0].pk).update(urges_city=9)  # not due-only
    StaleIncident.objects.create(incident_pk=moving[0].pk)  # also queued whole
    do_refresh_facts()
    assert not StaleIncident.objects.exists()
    after = facts()
    now = dict(FactDay.objects.values_list("day", "token"))
    assert now[date(2026, 11, 30)] != tokens[date(2026, 11, 30)]  # the moved facts' day
    assert now[date(2026, 12, 4)] == tokens[date(2026, 12, 4)]  # `later`'s day: nothing written
    friday = clock.to_beijing(InstructionFact.objects.get(pk=next(iter(after))).result_due)
    assert friday.date() == date(2026, 12, 5)  # 24:00 on Friday the 4th

    everything = list(Incident.objects.values_list("pk", flat=True))
    StaleIncident.objects.bulk_create(StaleIncident(incident_pk=pk) for pk in everything)
    do_refresh_facts(set_based=False)  # the one source of truth, whole
    assert facts() == after
    assert {f["incident"] for f in after.values()} >= {later.pk, *(i.pk for i in moving)}

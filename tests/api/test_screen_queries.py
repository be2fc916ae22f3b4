"""Query budgets of the busiest screens and of the dispatch (issue 13): the incident page for the
office, the primary unit and a cooperating unit on a realistic linked-disposal incident (issue 13
asks for under 10), a dispatch that reads the calendar
and the limits once per process, not once per instruction, and the fast orders of the board and
the unit's list kept equal to the grouped ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role
from liandong.incidents import actions
from liandong.incidents.models import Incident
from liandong.units.models import Category
from tests.factories import (
    dispatched,
    image_bytes,
    instruction_of,
    new_incident,
    office_user,
    unit,
    unit_user,
)

#: the incident page's budget per seat, everything counted (session, user, the bell, the
#: navigation counters, the page's rows); was 34 for the office and 16 for the units on this
#: incident. Issue 13 asks for under 10.
INCIDENT_PAGE_QUERIES = {"office": 9, "primary": 9, "cooperating": 9}
#: a new incident's page for the office: the triage proposal (its model and the street index kept
#: by the process), the repeat candidates in one query and the merge targets; was 17
NEW_INCIDENT_PAGE_QUERIES = 9
#: a dispatch to three units, everything it writes included
DISPATCH_QUERIES = 30


def busy_incident() -> tuple[Incident, dict[str, Any]]:
    """A linked disposal in full swing: three instructions, a dozen events and more, attachments,
    an extension request, a join request and urges."""
    office = office_user()
    incident = dispatched(primary="housing", cooperating=("urban-constr", "city-mgmt"), by=office)
    people = {
        "office": office,
        "primary": unit_user("housing"),
        "cooperating": unit_user("urban-constr"),
    }
    for code, who in (("housing", "primary"), ("urban-constr", "cooperating")):
        inst = instruction_of(incident, code)
        actor = people[who]
        actions.do_sign_instruction(actor=actor, instruction=inst)
        actions.do_give_feedback(actor=actor, instruction=inst, text="已到现场处置。")
        for n in range(2):
            actions.do_upload_attachment(
                actor=actor,
                instruction=inst,
                name=f"photo{n}.png",
                data=image_bytes(),
                content_type="image/png",
            )
    primary = instruction_of(incident, "housing")
    actions.do_record_caller_contact(actor=people["primary"], instruction=primary, reached=True)
    result_due = primary.deadlines.get(kind="result").due_at
    actions.do_request_extension(
        actor=people["primary"],
        instruction=primary,
        progress="管线已关阀，待更换。",
        reason="需要采购配件",
        proposed_due_at=max(result_due, clock.now()) + timedelta(days=3),
    )
    actions.do_request_join(
        actor=people["cooperating"],
        instruction=instruction_of(incident, "urban-constr"),
        units=[unit("ecology")],
        reason="涉及排水",
    )
    for code in ("housing", "city-mgmt"):
        actions.do_urge_instruction(
            actor=office, instruction=instruction_of(incident, code), note="请尽快处置"
        )
    incident.refresh_from_db()
    assert incident.events.count() >= 12
    return incident, people


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_incident_page_stays_within_its_query_budget_for_every_seat(
    django_assert_max_num_queries: Any,
) -> None:
    incident, people = busy_incident()
    pages = {
        "office": f"/console/incidents/{incident.incident_id}/",
        "primary": f"/unit/instructions/{instruction_of(incident, 'housing').pk}/",
        "cooperating": f"/unit/instructions/{instruction_of(incident, 'urban-constr').pk}/",
    }
    for seat, url in pages.items():
        client = signed_in(people[seat])
        client.get(url)  # warm: the first request of a process fills its caches
        with django_assert_max_num_queries(INCIDENT_PAGE_QUERIES[seat]):
            response = client.get(url)
        assert response.status_code == 200, seat


@pytest.mark.django_db
def test_the_incident_page_of_a_new_incident_stays_within_its_query_budget(
    django_assert_max_num_queries: Any,
) -> None:
    """A waiting incident shows the triage proposal and the dispatch form."""
    office = office_user()
    incident = new_incident(by=office)
    client = signed_in(office)
    url = f"/console/incidents/{incident.incident_id}/"
    client.get(url)
    with django_assert_max_num_queries(NEW_INCIDENT_PAGE_QUERIES):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_dispatch_loads_the_calendar_once(django_assert_max_num_queries: Any) -> None:
    office = office_user(Role.DISPATCHER)
    incidents = [new_incident(by=office) for _ in range(2)]
    category = Category.objects.get(code="heating-leak")

    def dispatch(incident: Incident) -> None:
        actions.do_dispatch_incident(
            actor=office,
            incident=incident,
            incident_class="linked_disposal",
            level=2,
            category=category,
            primary_unit=unit("housing"),
            cooperating_units=[unit("urban-constr"), unit("city-mgmt")],
        )

    dispatch(incidents[0])  # warm: the calendar is loaded once per process
    with django_assert_max_num_queries(DISPATCH_QUERIES):
        dispatch(incidents[1])


@pytest.mark.django_db
def test_the_board_walks_the_running_clocks_in_the_grouped_order(frozen_at: Any) -> None:
    """The board's fast order (walking the running clocks by due time) is the grouped one."""
    from liandong.web.board import _grouped_order, _nearest_first, open_instructions

    frozen_at("2026-12-01T09:00:00+08:00")
    office = office_user()
    for n in range(6):
        incident = dispatched(level=1 + n % 2, by=office)
        if n % 3 == 0:
            actions.do_sign_instruction(
                actor=unit_user("housing"), instruction=instruction_of(incident, "housing")
            )
        clock.advance(timedelta(minutes=7 * (n % 4) + 1))
    filters = {"unit": "", "level": "", "category": "", "street": "", "sort": ""}
    qs = open_instructions(office, filters)
    for limit in (1, 3, 5):
        assert _nearest_first(qs, limit) == _grouped_order(qs, "", limit)
    assert _nearest_first(qs, 40) is None  # fewer incidents: the grouped query decides


@pytest.mark.django_db
def test_the_workbench_pages_the_least_time_left_first(
    frozen_at: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit's list: ordered over the ids in the database, then the page's rows read."""
    from django.db.models import F, Min

    from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES
    from liandong.incidents.models import Instruction
    from liandong.web import unit as unit_screen
    from liandong.web.board import RUNNING_CLOCK

    frozen_at("2026-12-01T09:00:00+08:00")
    office, duty = office_user(), unit_user("housing")
    for n in range(7):
        incident = dispatched(level=1 + n % 2, by=office)
        if n % 3 == 0:
            actions.do_sign_instruction(actor=duty, instruction=instruction_of(incident, "housing"))
        clock.advance(timedelta(minutes=5 * (n % 3) + 1))
    expected = list(
        Instruction.objects.filter(unit__code="housing")
        .exclude(state__in=FINAL_INSTRUCTION_VALUES)
        .annotate(next_due=Min("deadlines__due_at", filter=RUNNING_CLOCK))
        .order_by(F("next_due").asc(nulls_last=True), "-dispatched_at", "-id")
        .values_list("pk", flat=True)
    )
    monkeypatch.setattr(unit_screen, "WORKBENCH_PAGE", 3)
    client = signed_in(duty)
    seen: list[int] = []
    for number in (1, 2, 3):
        response = client.get("/unit/", {"page": number})
        assert response.status_code == 200
        seen += [row.instruction.pk for row in response.context["rows"]]
    assert len(expected) == 7 and seen == expected

"""A unit that holds nothing of an incident: 404 for everything naming it (exactly like a missing
thing), nothing changes, and its lists do not show it.
"""

from __future__ import annotations

import json

import pytest

from liandong.accounts.models import Role
from tests.api.isolation.endpoints import (
    INSTRUCTION_PARAMS,
    SCOPED_PARAMS,
    assert_refused,
    call,
    incident_events,
    keys,
    session,
)
from tests.api.isolation.world import GHOST, PREFIX, A, B, C, fingerprint
from tests.factories import unit_user

# --- an outsider unit: 404 for everything, nothing changes ------------------------------------------


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(params=SCOPED_PARAMS))
def test_given_an_incident_of_other_units_when_an_outsider_unit_calls_any_endpoint_naming_it_then_404_and_nothing_changes(
    world, key, role
):
    outsider = unit_user(C, role)
    before, events = fingerprint(), incident_events(world.incident)

    hidden = call(outsider, key, world.ids)
    ghost = call(outsider, key, GHOST)

    assert_refused(hidden, 404)
    assert hidden.json() == ghost.json(), "a hidden thing must look exactly like a missing one"
    assert incident_events(world.incident) == events
    assert fingerprint() == before


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(params=INSTRUCTION_PARAMS))
def test_given_a_cooperating_unit_when_it_calls_an_endpoint_naming_the_primary_units_instruction_then_404_and_nothing_changes(
    world, key, role
):
    cooperating = unit_user(B, role)
    before, events = fingerprint(), incident_events(world.incident)

    response = call(cooperating, key, world.ids)

    assert_refused(response, 404)
    assert response.json() == call(cooperating, key, GHOST).json()
    assert incident_events(world.incident) == events
    assert fingerprint() == before


@pytest.mark.parametrize("key", keys(params=SCOPED_PARAMS))
def test_given_the_same_requests_when_the_dispatcher_makes_them_then_they_are_not_refused_as_unknown(
    world, key
):
    """Control: the ids and bodies used above are real, so the outsiders' 404 is the gate's."""
    response = call(world.dispatcher, key, world.ids)

    assert response.status_code not in (401, 404, 422), response.content


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
def test_given_an_incident_of_other_units_when_an_outsider_unit_lists_then_it_is_not_there(
    world, role
):
    api = session(unit_user(C, role))
    hidden = world.incident.incident_id

    incidents = api.get(f"{PREFIX}/incidents").json()
    dispatched_only = api.get(f"{PREFIX}/incidents", {"status": "dispatched"}).json()
    instructions = api.get(f"{PREFIX}/instructions").json()
    filtered = api.get(f"{PREFIX}/instructions", {"unit": A}).json()
    open_only = api.get(f"{PREFIX}/instructions", {"open_only": "true"}).json()
    pending = api.get(f"{PREFIX}/pending").json()
    notifications = api.get(f"{PREFIX}/notifications").json()

    assert [i["incident_id"] for i in incidents["items"]] == [world.other.incident_id]
    assert incidents["count"] == 1
    assert [i["incident_id"] for i in dispatched_only["items"]] == [world.other.incident_id]
    assert [i["id"] for i in instructions["items"]] == [world.c_inst.pk]
    assert instructions["count"] == 1
    assert filtered == {"count": 0, "items": []}
    assert [i["id"] for i in open_only["items"]] == [world.c_inst.pk]
    assert all(not rows for rows in pending.values()), pending
    assert notifications, "C's own dispatch notification should be listed"
    assert {n["incident_id"] for n in notifications} == {world.other.incident_id}
    assert hidden not in json.dumps(
        [incidents, dispatched_only, instructions, open_only, pending, notifications]
    )

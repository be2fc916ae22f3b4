"""Roles: who may do what on things they can see (403 and nothing changes for the others)."""

from __future__ import annotations

import pytest

from liandong.accounts.models import Role
from tests.api.isolation.endpoints import (
    ACTING_KINDS,
    ADMIN,
    CALLER,
    LEADER,
    OFFICE,
    OFFICE_READ,
    READ,
    SCOPED_PARAMS,
    SUPERVISOR,
    UNIT,
    assert_refused,
    call,
    incident_events,
    keys,
    session,
)
from tests.api.isolation.world import PREFIX, A, B, C, fingerprint
from tests.factories import UserFactory, office_user, unit_user

# --- roles: who may do what on things they can see ----------------------------------------------


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR])
@pytest.mark.parametrize("key", keys(kinds=(UNIT, LEADER, ADMIN)))
def test_given_an_office_user_when_it_takes_a_unit_action_then_403_and_nothing_changes(
    world, key, role
):
    before = fingerprint()

    response = call(office_user(role), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(kinds=(OFFICE, SUPERVISOR, OFFICE_READ, ADMIN)))
def test_given_a_unit_user_when_it_takes_an_office_action_on_its_own_incident_then_403_and_nothing_changes(
    world, key, role
):
    before = fingerprint()

    response = call(unit_user(A, role), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before


@pytest.mark.parametrize("key", keys(kinds=(UNIT, LEADER)))
def test_given_the_units_leader_when_it_takes_a_unit_action_on_its_own_instruction_then_it_is_not_refused(
    world, key
):
    """Control: the unit's own leader passes the gate (the state machine may still say 409)."""
    response = call(unit_user(A, Role.UNIT_LEADER), key, world.ids)

    assert response.status_code not in (401, 403, 404, 422), response.content


def test_given_an_extension_request_when_the_units_duty_officer_decides_it_then_403(world):
    before = fingerprint()

    response = call(
        unit_user(A, Role.DUTY_OFFICER),
        ("POST", "/extension-requests/{request_id}/leader-decision"),
        world.ids,
    )

    assert_refused(response, 403)
    assert fingerprint() == before


@pytest.mark.parametrize("other_unit", [B, C])
def test_given_an_extension_request_when_the_leader_of_another_unit_decides_it_then_404(
    world, other_unit
):
    before = fingerprint()

    response = call(
        unit_user(other_unit, Role.UNIT_LEADER),
        ("POST", "/extension-requests/{request_id}/leader-decision"),
        world.ids,
    )

    assert_refused(response, 404)
    assert fingerprint() == before


def test_given_an_extension_request_when_the_units_own_leader_decides_it_then_it_goes_to_the_office(
    world,
):
    response = call(
        unit_user(A, Role.UNIT_LEADER),
        ("POST", "/extension-requests/{request_id}/leader-decision"),
        world.ids,
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending_office"


@pytest.mark.parametrize("key", keys(kinds=(READ, OFFICE_READ)))
@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.ADMIN])
def test_given_district_leadership_or_an_administrator_when_they_read_anything_then_200(
    world, key, role
):
    response = call(UserFactory(role=role), key, world.ids)

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("key", keys(kinds=ACTING_KINDS))
def test_given_district_leadership_when_it_takes_any_action_then_403_and_nothing_changes(
    world, key
):
    before, events = fingerprint(), incident_events(world.incident)

    response = call(UserFactory(role=Role.LEADERSHIP), key, world.ids)

    assert_refused(response, 403)
    assert incident_events(world.incident) == events
    assert fingerprint() == before


@pytest.mark.parametrize("key", keys(kinds=(UNIT, LEADER, OFFICE, CALLER), params=SCOPED_PARAMS))
def test_given_an_administrator_when_it_acts_on_an_incident_then_403_and_nothing_changes(
    world, key
):
    before = fingerprint()

    response = call(UserFactory(role=Role.ADMIN), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before


def test_given_a_leadership_user_when_it_reads_an_incident_then_it_sees_every_units_instruction(
    world,
):
    body = (
        session(UserFactory(role=Role.LEADERSHIP))
        .get(f"{PREFIX}/incidents/{world.incident.incident_id}")
        .json()
    )

    assert {i["id"] for i in body["instructions"]} == {world.a_inst.pk, world.b_inst.pk}


@pytest.mark.parametrize("key", keys(kinds=(SUPERVISOR,)))
def test_given_a_dispatcher_when_it_takes_a_supervisors_action_then_403_and_nothing_changes(
    world, key
):
    before = fingerprint()

    response = call(office_user(Role.DISPATCHER), key, world.ids)

    assert_refused(response, 403)
    assert fingerprint() == before

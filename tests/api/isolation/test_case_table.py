"""The case table ENDPOINTS matches the API: one case per operation of the OpenAPI document, every
operation that names an incident or its parts is isolation-checked, every write names who may do it.
"""

from __future__ import annotations

from tests.api.isolation.endpoints import (
    ACTING_KINDS,
    ENDPOINTS,
    OFFICE_READ,
    READ,
    REFERENCE_PARAMS,
    SCOPED_PARAMS,
    SELF,
    call,
    keys,
    openapi_operations,
    path_params,
)

# --- the table matches the API -------------------------------------------------------------------


def test_given_the_openapi_document_when_compared_with_the_case_table_then_every_operation_has_a_case(
    db,
):
    operations = set(openapi_operations())

    missing = sorted(operations - set(ENDPOINTS))
    stale = sorted(set(ENDPOINTS) - operations)

    assert not missing, f"new endpoints without an isolation/role case in ENDPOINTS: {missing}"
    assert not stale, f"cases for endpoints that no longer exist: {stale}"


def test_given_the_openapi_document_when_an_operation_names_an_incident_or_its_parts_then_it_is_isolation_checked(
    db,
):
    operations = openapi_operations()
    scoped = {key for key in operations if path_params(key[1]) & SCOPED_PARAMS}
    isolation_checked = {p.values[0] for p in keys(params=SCOPED_PARAMS)}

    unknown = {
        key: sorted(path_params(key[1]) - SCOPED_PARAMS - REFERENCE_PARAMS)
        for key in operations
        if path_params(key[1]) - SCOPED_PARAMS - REFERENCE_PARAMS
    }

    assert scoped, "the API should have incident-scoped endpoints"
    assert scoped <= isolation_checked, sorted(scoped - isolation_checked)
    assert not unknown, (
        f"path parameters of unknown scope (add to SCOPED_PARAMS or REFERENCE_PARAMS): {unknown}"
    )
    for key, operation in operations.items():
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == path_params(key[1]), key


#: POSTs that only compute an answer from their body and write nothing (a body too rich for a
#: query string): they are reads, and checked as reads.
READS_BY_POST = {("POST", "/triage/propose")}


def test_given_the_case_table_then_every_write_names_who_may_do_it():
    for (method, path), case in ENDPOINTS.items():
        if method == "GET" or (method, path) in READS_BY_POST:
            assert case.kind in (READ, OFFICE_READ), (method, path)
        else:
            assert case.kind in (*ACTING_KINDS, SELF), (method, path)


def test_given_anyone_when_they_mark_their_bell_read_then_only_their_own_reads_change(world):
    """The one SELF write: everyone may, and each person marks only what their own bell shows."""
    from liandong.accounts.models import Role
    from liandong.incidents.access import visible_notifications
    from liandong.incidents.models import NotificationRead
    from tests.factories import UserFactory, unit_user

    people = [
        unit_user("housing"),
        UserFactory(role=Role.DISPATCHER),
        UserFactory(role=Role.LEADERSHIP),
        UserFactory(role=Role.ADMIN),
    ]
    for user in people:
        response = call(user, ("POST", "/notifications/read"), world.ids)
        assert response.status_code == 200, response.content
    for read in NotificationRead.objects.select_related("user"):
        assert visible_notifications(read.user).filter(pk=read.notification_id).exists()
    assert NotificationRead.objects.filter(user=people[0]).exists()
    assert not NotificationRead.objects.filter(user=people[3]).exists()  # the admin's bell is empty

"""Authentication of /api/v1: web sessions (with CSRF) for people, bearer tokens for programs.

Both resolve to a user and then go through the same access rules, so a unit's token sees exactly
what the unit's people see."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from liandong import clock
from liandong.accounts.models import ApiToken, Role, User
from liandong.accounts.services import do_issue_api_token
from tests.api.isolation.endpoints import ENDPOINTS, SCOPED_PARAMS, keys, send
from tests.api.isolation.world import GHOST, PREFIX, A, C, fingerprint
from tests.factories import UserFactory, office_user, unit_user

SIGN = ("POST", "/instructions/{instruction_id}/sign")
LEADER_DECISION = ("POST", "/extension-requests/{request_id}/leader-decision")


def token_for(user: User, name: str = "对接程序") -> str:
    _, raw = do_issue_api_token(user=user, name=name)
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def session(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert error["message"]
    assert error["fields"] == []


# --- no credentials --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", keys())
def test_given_no_credentials_when_calling_any_endpoint_then_401_unauthenticated(key):
    response = send(Client(), ENDPOINTS[key].build(GHOST))

    assert_unauthenticated(response)


def test_given_no_credentials_when_posting_an_action_then_nothing_changes(world):
    before = fingerprint()

    response = send(Client(), ENDPOINTS[SIGN].build(world.ids))

    assert_unauthenticated(response)
    assert fingerprint() == before


# --- bearer tokens -----------------------------------------------------------------------------------


def test_given_a_bearer_token_when_calling_the_api_then_it_acts_as_its_user(db):
    officer = unit_user(A)
    raw = token_for(officer)

    response = Client().get(f"{PREFIX}/me", **bearer(raw))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == officer.username
    assert body["role"] == Role.DUTY_OFFICER
    assert body["unit"]["code"] == A


def test_given_a_token_when_it_is_issued_then_only_the_hash_of_the_raw_key_is_stored(db):
    user = office_user()

    token, raw = do_issue_api_token(user=user, name="市平台对接")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.key_hash != raw
    assert raw.startswith(stored.prefix) and len(stored.prefix) < len(raw) // 2
    values = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(raw not in str(value) for value in values.values()), values
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    assert stored.name == "市平台对接" and stored.revoked_at is None


def test_given_two_issued_tokens_then_their_raw_keys_differ(db):
    user = office_user()

    assert token_for(user) != token_for(user)


def test_given_a_bearer_token_when_it_is_used_then_its_last_use_is_recorded(db):
    user = office_user()
    token, raw = do_issue_api_token(user=user, name="统计")

    response = Client().get(f"{PREFIX}/me", **bearer(raw))

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert abs(token.last_used_at - clock.now()) < timedelta(minutes=1)


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_LEADER])
@pytest.mark.parametrize("key", keys(params=SCOPED_PARAMS))
def test_given_a_unit_token_when_it_names_another_units_incident_then_404_exactly_like_the_session(
    world, key, role
):
    outsider = unit_user(C, role)
    raw = token_for(outsider)
    request = ENDPOINTS[key].build(world.ids)
    before = fingerprint()

    by_token = send(Client(), request, **bearer(raw))
    by_session = send(session(outsider), request)

    assert by_token.status_code == 404, by_token.content
    assert by_token.json() == by_session.json()
    assert fingerprint() == before


def test_given_a_unit_token_when_it_lists_then_only_its_own_units_work_is_there(world):
    headers = bearer(token_for(unit_user(C)))
    client = Client()

    incidents = client.get(f"{PREFIX}/incidents", **headers).json()
    instructions = client.get(f"{PREFIX}/instructions", **headers).json()
    by_unit = client.get(f"{PREFIX}/instructions", {"unit": A}, **headers).json()
    notifications = client.get(f"{PREFIX}/notifications", **headers).json()
    pending = client.get(f"{PREFIX}/pending", **headers).json()

    assert [i["incident_id"] for i in incidents["items"]] == [world.other.incident_id]
    assert [i["id"] for i in instructions["items"]] == [world.c_inst.pk]
    assert by_unit["items"] == []
    assert {n["incident_id"] for n in notifications} == {world.other.incident_id}
    assert all(not rows for rows in pending.values())


def test_given_a_token_of_the_cooperating_unit_when_it_reads_the_shared_incident_then_only_its_own_instruction_is_there(
    world,
):
    headers = bearer(token_for(unit_user("urban-constr")))
    client = Client()

    detail = client.get(f"{PREFIX}/incidents/{world.incident.incident_id}", **headers).json()
    timeline = client.get(
        f"{PREFIX}/incidents/{world.incident.incident_id}/timeline", **headers
    ).json()
    primary = client.get(f"{PREFIX}/instructions/{world.a_inst.pk}", **headers)

    assert [i["id"] for i in detail["instructions"]] == [world.b_inst.pk]
    assert {e["instruction"] for e in timeline} <= {None, world.b_inst.pk}
    assert primary.status_code == 404


def test_given_a_token_when_its_user_moves_to_another_unit_then_it_sees_only_the_new_units_work(
    world,
):
    user = unit_user(A)
    headers = bearer(token_for(user))
    user.unit = world.c_inst.unit
    user.save()

    old = Client().get(f"{PREFIX}/instructions/{world.a_inst.pk}", **headers)
    new = Client().get(f"{PREFIX}/instructions/{world.c_inst.pk}", **headers)

    assert old.status_code == 404
    assert new.status_code == 200


def test_given_a_unit_leaders_token_when_it_decides_its_units_extension_request_then_no_csrf_is_needed(
    world,
):
    raw = token_for(unit_user(A, Role.UNIT_LEADER))

    response = send(
        Client(enforce_csrf_checks=True), ENDPOINTS[LEADER_DECISION].build(world.ids), **bearer(raw)
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending_office"


def test_given_a_leadership_token_when_it_takes_an_action_then_403_as_for_the_session(world):
    raw = token_for(UserFactory(role=Role.LEADERSHIP))
    before = fingerprint()

    read = Client().get(f"{PREFIX}/incidents/{world.incident.incident_id}", **bearer(raw))
    action = send(Client(), ENDPOINTS[SIGN].build(world.ids), **bearer(raw))

    assert read.status_code == 200
    assert action.status_code == 403, action.content
    assert fingerprint() == before


def test_given_an_office_token_when_it_takes_a_unit_action_then_403(world):
    raw = token_for(office_user())
    before = fingerprint()

    response = send(Client(), ENDPOINTS[SIGN].build(world.ids), **bearer(raw))

    assert response.status_code == 403, response.content
    assert fingerprint() == before


def test_given_a_revoked_token_when_it_is_used_then_401_and_nothing_changes(world):
    user = unit_user(A, Role.UNIT_LEADER)
    token, raw = do_issue_api_token(user=user, name="旧程序")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=clock.now())
    before = fingerprint()

    read = Client().get(f"{PREFIX}/me", **bearer(raw))
    action = send(Client(), ENDPOINTS[LEADER_DECISION].build(world.ids), **bearer(raw))

    assert_unauthenticated(read)
    assert_unauthenticated(action)
    assert fingerprint() == before


def test_given_one_of_two_tokens_revoked_when_the_other_is_used_then_it_still_works(db):
    user = office_user()
    old, old_raw = do_issue_api_token(user=user, name="旧")
    new_raw = token_for(user, "新")
    ApiToken.objects.filter(pk=old.pk).update(revoked_at=clock.now())

    assert_unauthenticated(Client().get(f"{PREFIX}/me", **bearer(old_raw)))
    assert Client().get(f"{PREFIX}/me", **bearer(new_raw)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ld_this-is-not-a-token",
        "Bearer ",
        "Bearer",
        "Token {raw}",
        "Basic {raw}",
        "{raw}",
        "Bearer {raw}x",
        "Bearer {prefix}",
    ],
)
def test_given_a_wrong_token_when_it_is_used_then_401(db, header):
    token, raw = do_issue_api_token(user=office_user(), name="程序")

    response = Client().get(
        f"{PREFIX}/incidents",
        HTTP_AUTHORIZATION=header.format(raw=raw, prefix=token.prefix),
    )

    assert_unauthenticated(response)


def test_given_a_token_of_the_raw_keys_hash_when_it_is_used_then_401(db):
    """Someone who read the table cannot use what is stored there."""
    token, _ = do_issue_api_token(user=office_user(), name="程序")

    response = Client().get(f"{PREFIX}/me", **bearer(token.key_hash))

    assert_unauthenticated(response)


def test_given_an_inactive_users_token_when_it_is_used_then_401(world):
    user = unit_user(A, Role.UNIT_LEADER)
    raw = token_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    before = fingerprint()

    read = Client().get(f"{PREFIX}/me", **bearer(raw))
    action = send(Client(), ENDPOINTS[LEADER_DECISION].build(world.ids), **bearer(raw))

    assert_unauthenticated(read)
    assert_unauthenticated(action)
    assert fingerprint() == before


# --- web sessions ------------------------------------------------------------------------------------


def test_given_a_session_of_a_user_made_inactive_when_it_is_used_then_401(db):
    user = office_user()
    client = session(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_unauthenticated(client.get(f"{PREFIX}/me"))


def test_given_a_session_when_reading_without_a_csrf_token_then_it_works(world):
    client = session(unit_user(A), enforce_csrf_checks=True)

    response = client.get(f"{PREFIX}/incidents/{world.incident.incident_id}")

    assert response.status_code == 200, response.content


def test_given_a_session_when_posting_without_a_csrf_token_then_it_is_refused_and_nothing_changes(
    world,
):
    client = session(unit_user(A, Role.UNIT_LEADER), enforce_csrf_checks=True)
    before = fingerprint()

    response = send(client, ENDPOINTS[LEADER_DECISION].build(world.ids))

    assert response.status_code == 403, response.content
    assert "error" in response.json()
    assert fingerprint() == before


def _csrf_token(client: Client) -> str:
    """The browser's way: a page of the site sets the csrftoken cookie."""
    page = client.get("/login/")
    assert page.status_code in (200, 302)
    return client.cookies["csrftoken"].value


def test_given_a_session_when_posting_with_a_wrong_csrf_token_then_it_is_refused_and_nothing_changes(
    world,
):
    client = session(unit_user(A, Role.UNIT_LEADER), enforce_csrf_checks=True)
    _csrf_token(client)
    before = fingerprint()

    response = send(client, ENDPOINTS[LEADER_DECISION].build(world.ids), HTTP_X_CSRFTOKEN="x" * 32)

    assert response.status_code == 403, response.content
    assert fingerprint() == before


def test_given_a_session_when_posting_with_the_csrf_cookie_and_header_then_it_is_accepted(world):
    client = session(unit_user(A, Role.UNIT_LEADER), enforce_csrf_checks=True)
    csrf = _csrf_token(client)

    response = send(client, ENDPOINTS[LEADER_DECISION].build(world.ids), HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending_office"


def test_given_a_session_with_a_csrf_token_when_it_names_another_units_instruction_then_404(world):
    """CSRF does not open the gate: the same isolation as without it."""
    client = session(unit_user(C), enforce_csrf_checks=True)
    csrf = _csrf_token(client)
    before = fingerprint()

    response = send(client, ENDPOINTS[SIGN].build(world.ids), HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 404, response.content
    assert fingerprint() == before


def test_a_token_expires_after_its_days(db, frozen_at):
    from datetime import timedelta

    frozen_at("2026-11-30T09:00:00+08:00")
    user = office_user()
    raw = token_for(user)
    token = ApiToken.objects.get(key_hash__isnull=False, user=user)
    assert token.expires_at == clock.now() + timedelta(days=90)
    client = Client()
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    clock.advance(timedelta(days=90))
    assert_unauthenticated(client.get("/api/v1/me", **bearer(raw)))


def test_the_admin_cannot_issue_repoint_revive_or_delete_someone_elses_token(db):
    """Issue 11, finding 4: a token is its issuer's own, never moved, revived or deleted."""
    admin_user = User.objects.create_user(
        "token-admin", password="Str0ng-Passw0rd!", role=Role.SECURITY_ADMIN, is_staff=True
    )
    victim = office_user()
    client = Client()
    client.force_login(admin_user)
    issued = client.post(
        "/admin/accounts/apitoken/add/", {"name": "对接程序", "user": str(victim.pk)}
    )
    assert issued.status_code == 302
    token = ApiToken.objects.get(name="对接程序")
    assert token.user_id == admin_user.pk  # the user field is not even offered
    change = f"/admin/accounts/apitoken/{token.pk}/change/"
    client.post(change, {"name": "改名", "user": str(victim.pk), "revoked_at": ""})
    token.refresh_from_db()
    assert (token.user_id, token.name) == (admin_user.pk, "对接程序")
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [str(token.pk)]},
    )
    token.refresh_from_db()
    revoked_at = token.revoked_at
    assert revoked_at is not None
    client.post(change, {"name": "对接程序", "revoked_at": ""})  # no way back
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    deleted = client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403 and ApiToken.objects.filter(pk=token.pk).exists()

"""The second factor at sign-in (TOTP): required for the office and the administrators, enrolled
at first sign-in, each code good once, wrong codes count toward the lock-out, the admin's own login
is no way around it, and the security administrator can reset a lost authenticator."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.accounts.second_factor import matching_step
from liandong.accounts.views import ENROL_SECRET
from liandong.audit.kinds import AuditKind
from liandong.audit.models import AuditEntry
from liandong.common import secretbox
from tests.factories import UserFactory, unit

pytestmark = pytest.mark.django_db
PASSWORD = "Kx9-liandong-Strong"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.LIANDONG_REQUIRE_SECOND_FACTOR = True


def _person(role: str = Role.DISPATCHER, **extra) -> User:
    person = UserFactory(role=role, **extra)
    person.set_password(PASSWORD)
    person.save()
    return person


def _password_step(client: Client, person: User, next_url: str = "/console/"):
    return client.post(
        f"/login/?next={next_url}", {"username": person.username, "password": PASSWORD}
    )


def _enrol(client: Client, person: User) -> str:
    assert _password_step(client, person).headers["Location"] == "/login/code"
    page = client.get("/login/code")
    assert "绑定" in page.content.decode()
    secret = client.session[ENROL_SECRET]
    response = client.post("/login/code", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    return secret


def test_an_office_role_enrols_at_first_sign_in_and_is_not_signed_in_before():
    person = _person()
    client = Client()
    _password_step(client, person)
    # Password alone: not signed in anywhere.
    assert client.get("/console/").status_code == 302
    assert client.get("/api/v1/incidents").status_code == 401
    client.get("/login/code")
    secret = client.session[ENROL_SECRET]
    client.post("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert client.get("/console/").status_code == 200
    person.refresh_from_db()
    assert person.totp_confirmed_at is not None
    assert secret not in person.totp_secret and secretbox.decrypt(person.totp_secret) == secret
    assert AuditEntry.objects.filter(kind=AuditKind.SECOND_FACTOR_ENROLLED).count() == 1


def test_an_enrolled_person_needs_a_fresh_code_each_time(frozen_at):
    # The product's clock stands still: a time step ending mid-test would make the "used" code a
    # fresh one (a slow machine, once).
    frozen_at(clock.now())
    person = _person()
    secret = _enrol(Client(), person)
    client = Client()
    _password_step(client, person)
    used = pyotp.TOTP(secret).at(clock.now())  # the code that enrolled: already used
    replay = client.post("/login/code", {"code": used})
    assert replay.status_code == 422 and "动态口令不正确或已使用" in replay.content.decode()
    assert client.get("/console/").status_code == 302
    # The next time step's code is accepted (one step of drift allowed), once.
    later = pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30))
    assert client.post("/login/code", {"code": later}).status_code == 302
    assert client.get("/console/").status_code == 200


def test_wrong_codes_count_toward_the_lock_out():
    person = _person()
    _enrol(Client(), person)
    client = Client()
    _password_step(client, person)
    for _ in range(5):
        wrong = client.post("/login/code", {"code": "000000"})
        assert wrong.status_code in (422, 302)
    # Locked now: even the right password goes nowhere.
    again = Client()
    page = _password_step(again, person)
    assert page.status_code == 200 and "已暂时锁定" in page.content.decode()
    failures = AuditEntry.objects.filter(kind=AuditKind.LOGIN_FAILED, actor_label=person.username)
    assert failures.count() >= 5


def test_a_unit_officer_may_sign_in_with_the_password_alone():
    person = _person(Role.DUTY_OFFICER, unit=unit("housing"))
    client = Client()
    response = _password_step(client, person, "/unit/")
    assert response.status_code == 302 and response.headers["Location"] == "/unit/"


def test_the_admin_login_is_the_same_door():
    person = _person(Role.ADMIN, is_staff=True)
    client = Client()
    assert client.get("/admin/login/").headers["Location"].startswith("/login/")
    answer = client.post("/admin/login/", {"username": person.username, "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login/")
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_the_security_administrator_resets_a_lost_authenticator():
    person = _person()
    _enrol(Client(), person)
    security = _person(Role.SECURITY_ADMIN, is_staff=True)
    client = Client()
    client.force_login(security)
    client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [person.pk]},
    )
    person.refresh_from_db()
    assert person.totp_confirmed_at is None and person.totp_secret == ""
    assert AuditEntry.objects.filter(kind=AuditKind.SECOND_FACTOR_RESET).count() == 1
    _enrol(Client(), person)  # enrols anew at the next sign-in


def test_matching_step_rules():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    from datetime import UTC, datetime

    at = datetime(2026, 11, 30, 8, 0, 10, tzinfo=UTC)
    step = int(at.timestamp()) // 30
    assert matching_step(secret, totp.at(at), at, 0) == step
    assert matching_step(secret, totp.at(at), at, step) is None  # used already
    assert matching_step(secret, totp.at(step * 30 - 30), at, 0) == step - 1
    assert matching_step(secret, totp.at(step * 30 - 60), at, 0) is None  # too old
    assert matching_step(secret, "12345", at, 0) is None
    assert matching_step(secret, "abcdef", at, 0) is None


def test_a_unit_officer_may_bind_an_authenticator_and_is_then_asked_for_codes():
    person = _person(Role.DUTY_OFFICER, unit=unit("housing"))
    client = Client()
    client.force_login(person)
    page = client.get("/account/security")
    assert page.status_code == 200 and "可选" in page.content.decode()
    secret = client.session[ENROL_SECRET]
    wrong = client.post("/account/security", {"code": "000000"})
    assert wrong.status_code == 422 and 'value="000000"' in wrong.content.decode()
    done = client.post("/account/security", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.totp_confirmed_at is not None
    again = Client()
    assert _password_step(again, person, "/unit/").headers["Location"] == "/login/code"

"""三员分立: the system, security and audit administrators each do their own work only; nobody
(the superuser flag included) can do all three or change the trail; every administrative change
is in the trail with before and after; refusals are recorded with who and from where."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from liandong.accounts.models import ApiToken, Role, User
from liandong.audit.kinds import AuditKind
from liandong.audit.models import AuditEntry
from liandong.units.models import Category, Unit
from tests.factories import UserFactory, unit

pytestmark = pytest.mark.django_db

PASSWORD = "Kx9-liandong-Strong"


def _admin(role: str, **extra) -> tuple[User, Client]:
    person = UserFactory(role=role, is_staff=True, **extra)
    client = Client()
    client.force_login(person)
    return person, client


def _status(client: Client, name: str, *args) -> int:
    return client.get(reverse(f"admin:{name}", args=args)).status_code


def test_each_administrator_sees_only_their_own_work():
    target = UserFactory(role=Role.DUTY_OFFICER, unit=unit("housing"))
    _, system = _admin(Role.ADMIN)
    _, security = _admin(Role.SECURITY_ADMIN)
    _, auditor = _admin(Role.AUDITOR)
    housing = Unit.objects.get(code="housing")
    # Units and reference data: the system administrator's.
    assert _status(system, "units_unit_change", housing.pk) == 200
    assert _status(security, "units_unit_change", housing.pk) == 403
    assert _status(auditor, "units_unit_changelist") == 403
    # The trail: the audit administrator's, read-only to them, invisible to the others.
    assert _status(auditor, "audit_auditentry_changelist") == 200
    assert _status(system, "audit_auditentry_changelist") == 403
    assert _status(security, "audit_auditentry_changelist") == 403
    entry = AuditEntry.objects.first()
    assert entry is not None
    assert (
        auditor.post(
            reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    # Tokens: the security administrator's.
    assert _status(security, "accounts_apitoken_changelist") == 200
    assert _status(system, "accounts_apitoken_changelist") == 403
    # Passwords: the security administrator's only.
    assert _status(security, "auth_user_password_change", target.pk) == 200
    assert _status(system, "auth_user_password_change", target.pk) == 403
    assert _status(auditor, "accounts_user_change", target.pk) == 403


def test_a_superuser_flag_grants_nothing_beyond_the_role():
    _, client = _admin(Role.ADMIN, is_superuser=True)
    assert _status(client, "audit_auditentry_changelist") == 403
    assert _status(client, "accounts_apitoken_changelist") == 403
    _, dispatcher = _admin(Role.DISPATCHER, is_superuser=True)
    assert dispatcher.get("/admin/").status_code == 302  # to the login: not an administrator


def test_the_system_administrator_cannot_change_a_role_and_the_security_one_can(settings):
    target = UserFactory(role=Role.DUTY_OFFICER, unit=unit("housing"), first_name="甲")
    system_admin, system = _admin(Role.ADMIN)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    form = {
        "username": target.username,
        "first_name": "乙",
        "last_name": "",
        "email": "",
        "unit": target.unit_id,
        "phone": "",
        "role": Role.DISPATCHER,
        "is_active": "on",
    }
    response = system.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.first_name == "乙" and target.role == Role.DUTY_OFFICER  # role is not theirs
    security_admin, security = _admin(Role.SECURITY_ADMIN)
    response = security.post(url, {**form, "role": Role.UNIT_LEADER, "first_name": "丙"})
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.role == Role.UNIT_LEADER and target.first_name == "乙"
    change = AuditEntry.objects.get(kind=AuditKind.ROLE_CHANGED)
    assert change.actor_id == security_admin.pk
    assert change.data["before"] == {"role": "duty_officer"}
    assert change.data["after"] == {"role": "unit_leader"}
    people = AuditEntry.objects.filter(kind=AuditKind.RECORD_CHANGED, actor_id=system_admin.pk)
    assert any(e.data["before"].get("first_name") == "甲" for e in people)


def test_the_security_administrator_cannot_raise_their_own_role():
    me, security = _admin(Role.SECURITY_ADMIN)
    url = reverse("admin:accounts_user_change", args=[me.pk])
    security.post(url, {"username": me.username, "role": Role.ADMIN, "is_active": "on"})
    me.refresh_from_db()
    assert me.role == Role.SECURITY_ADMIN
    assert _status(security, "auth_user_password_change", me.pk) == 403


def test_password_set_by_the_security_administrator_is_recorded_without_the_hash():
    target = UserFactory(role=Role.DUTY_OFFICER, unit=unit("housing"))
    admin_user, security = _admin(Role.SECURITY_ADMIN)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = security.post(
        url, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    entry = AuditEntry.objects.get(kind=AuditKind.PASSWORD_SET)
    assert entry.actor_id == admin_user.pk and target.password not in str(entry.data)


def test_a_new_person_starts_inactive_without_a_password():
    _, system = _admin(Role.ADMIN)
    response = system.post(
        reverse("admin:accounts_user_add"),
        {"username": "xinren", "first_name": "新人", "unit": unit("housing").pk, "phone": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = User.objects.get(username="xinren")
    assert not person.is_active and not person.has_usable_password()
    assert AuditEntry.objects.filter(
        kind=AuditKind.RECORD_ADDED, target=f"user:{person.pk}"
    ).exists()


def test_token_issue_and_revoke_are_recorded():
    admin_user, security = _admin(Role.SECURITY_ADMIN)
    security.post(reverse("admin:accounts_apitoken_add"), {"name": "对接程序"})
    token = ApiToken.objects.get(name="对接程序")
    security.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    kinds = list(
        AuditEntry.objects.filter(target=f"token:{token.pk}").values_list("kind", flat=True)
    )
    assert sorted(kinds) == [AuditKind.TOKEN_ISSUED, AuditKind.TOKEN_REVOKED]


def test_reference_data_changed_in_the_admin_is_recorded_with_before_and_after():
    admin_user, system = _admin(Role.ADMIN)
    category = Category.objects.order_by("pk").first()
    assert category is not None
    url = reverse("admin:units_category_change", args=[category.pk])
    page = system.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data["name"] = f"{category.name}（改）"
    response = system.post(url, data)
    assert response.status_code == 302, page.context["adminform"].form.errors
    entry = AuditEntry.objects.get(
        kind=AuditKind.RECORD_CHANGED, target=f"units.category:{category.pk}"
    )
    assert entry.data["before"] == {"name": category.name}
    assert entry.data["after"] == {"name": f"{category.name}（改）"}
    assert entry.actor_id == admin_user.pk


def test_a_refusal_is_recorded_with_who_and_from_where():
    person = UserFactory(role=Role.DUTY_OFFICER, unit=unit("housing"))
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(person)
    assert client.get("/console/stats/").status_code in (403, 404)
    response = client.get("/admin/")
    denial = AuditEntry.objects.filter(kind=AuditKind.PERMISSION_DENIED)
    if response.status_code == 403:
        assert denial.exists()
    forbidden = client.post(
        "/api/v1/incidents",
        data={"caller_phone": "13800000000", "address": "于洪区某街1号", "content": "噪音扰民"},
        content_type="application/json",
    )
    assert forbidden.status_code == 403
    entry = denial.latest("id")
    assert entry.actor_id == person.pk and entry.ip == "10.1.2.3"
    assert entry.data["path"] == "/api/v1/incidents"


def test_the_three_administrators_are_created_from_the_command_line(monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("LIANDONG_NEW_PASSWORD", PASSWORD)
    for username, role in (("sys1", "admin"), ("sec1", "security_admin"), ("aud1", "auditor")):
        call_command("create_administrator", username, "--role", role)
        person = User.objects.get(username=username)
        assert person.role == role and person.is_staff and not person.is_superuser
        assert person.check_password(PASSWORD)
    monkeypatch.setenv("LIANDONG_NEW_PASSWORD", "12345678")
    with pytest.raises(CommandError):
        call_command("create_administrator", "weak1", "--role", "auditor")
    assert not User.objects.filter(username="weak1").exists()
    with pytest.raises(CommandError):
        call_command("create_administrator", "sys1", "--role", "auditor")
    created = AuditEntry.objects.filter(kind=AuditKind.RECORD_ADDED, auth_method="cli")
    assert created.count() == 3


def test_an_administrator_changing_their_own_password_is_recorded():
    me, client = _admin(Role.AUDITOR)
    me.set_password(PASSWORD)
    me.save()
    client.force_login(me)
    new = "Another-Str0ng-Secret"
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.check_password(new)
    assert AuditEntry.objects.filter(kind=AuditKind.PASSWORD_SET, actor_id=me.pk).count() == 1

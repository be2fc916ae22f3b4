"""The administration: every page opens; reference data edits go through actions with history."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from liandong.accounts import duties
from liandong.accounts.models import Role
from liandong.incidents.models import Incident
from liandong.sla.models import HolidayYear
from liandong.units.models import TierChange, Unit
from tests.factories import UserFactory, dispatched


@pytest.fixture
def admin_client(db) -> Client:
    user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


ADMINISTRATORS = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)


def test_every_admin_list_and_page_opens_for_its_administrator_only(db):
    """Every registered model belongs to at least one administrator's duty (accounts/duties.py),
    opens for them and is refused (403) to the other two."""
    dispatched()
    clients = {}
    for role in ADMINISTRATORS:
        clients[role] = Client()
        clients[role].force_login(UserFactory(role=role, is_staff=True))
    for model in admin.site._registry:
        meta = model._meta
        label = f"{meta.app_label}.{meta.model_name}"
        owners = [r for r in ADMINISTRATORS if duties.allows(r, label, "view")]
        assert owners, f"{label} belongs to no administrator"
        listing = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        first = model.objects.first()
        for role, client in clients.items():
            expected = 200 if role in owners else 403
            assert client.get(listing).status_code == expected, (label, role)
            if first is not None:
                page = client.get(
                    reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
                )
                assert page.status_code == expected, (label, role)


def test_incidents_are_read_only_in_the_admin(admin_client):
    incident = dispatched()
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    admin_client.post(url, {"status": "closed"})
    incident.refresh_from_db()
    assert incident.status == "dispatched"
    assert admin_client.get(reverse("admin:incidents_incident_add")).status_code == 403
    assert Incident.objects.count() == 1


def test_changing_a_tier_in_the_admin_writes_the_tier_history(admin_client):
    unit = Unit.objects.get(code="housing")
    url = reverse("admin:units_unit_change", args=[unit.pk])
    form = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "tier": "1",
        "street_code": "",
        "aliases_text": "",
        "role_note": "",
        "duty_phone": "024-12345678",
        "active": "on",
        "tier_reason": "职责调整",
        "tier_document": "于联办〔2026〕5号",
        "tier_changes-TOTAL_FORMS": "1",
        "tier_changes-INITIAL_FORMS": "1",
        "tier_changes-MIN_NUM_FORMS": "0",
        "tier_changes-MAX_NUM_FORMS": "1000",
        "tier_changes-0-id": str(unit.tier_changes.first().pk),
        "tier_changes-0-unit": str(unit.pk),
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert unit.tier == 1 and unit.duty_phone == "024-12345678"
    change = TierChange.objects.filter(unit=unit).last()
    assert (change.from_tier, change.to_tier, change.reason) == (2, 1, "职责调整")
    assert change.document_number == "于联办〔2026〕5号"
    history = admin_client.get(reverse("admin:units_unit_history", args=[unit.pk]))
    assert history.status_code == 200


def test_entering_a_new_year_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:sla_holidayyear_add"),
        {
            "year": "2027",
            "source": "国办发明电〔2026〕",
            "holidays_text": "2027-01-01\n2027-01-02, 2027-01-03",
            "makeup_text": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert HolidayYear.objects.get(year=2027).holidays == ["2027-01-01", "2027-01-02", "2027-01-03"]


def test_a_wrong_year_arrangement_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:sla_holidayyear_add"),
        {"year": "2027", "holidays_text": "2027-01-01", "makeup_text": "2027-01-05"},
    )
    assert response.status_code == 200
    assert "2027-01-05" in response.content.decode()
    assert not HolidayYear.objects.filter(year=2027).exists()

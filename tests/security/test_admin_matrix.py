"""The admin under /admin/: every admin URL the resolver knows (tests/security/admin_kinds.py says
which kind each is) refuses everyone but the three administrators, with a GET and with a POST,
whatever their role: they land on the admin's sign-in page and nothing changes. Each administrator
is refused (403, nothing changes) every model outside their duty (accounts/duties.py). The system
administrator gets past the gate (control), and no admin page of any kind answers them 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest
from django.db import transaction

from liandong.accounts import duties
from tests.security import admin_kinds
from tests.security.table import Pattern, url_patterns
from tests.security.world import (
    ADMIN,
    ADMINISTRATORS,
    AUDITOR,
    IDENTITIES,
    SECURITY_ADMIN,
    session,
    snapshot,
)

ADMIN_LOGIN = "/admin/login/"

#: What a refused POST tries: make a staff superuser, a token, bulk-delete with the admin's action.
HOSTILE_FORM = {
    "username": "intruder",
    "password1": "Intrud3r-Passw0rd!",
    "password2": "Intrud3r-Passw0rd!",
    "role": "admin",
    "is_staff": "on",
    "is_superuser": "on",
    "is_active": "on",
    "name": "后门令牌",
    "code": "backdoor",
    "action": "delete_selected",
    "_selected_action": "1",
    "post": "yes",
}


def admin_patterns() -> list[Pattern]:
    return [p for p in url_patterns() if p.namespace == "admin"]


def lands_on_admin_login(client: Any, url: str, response: Any) -> bool:
    """A redirect, followed (at most three hops), that ends on the admin's sign-in page."""
    for _ in range(3):
        if response.status_code not in (301, 302):
            return False
        target = urljoin(url, response["Location"])
        if target.startswith(ADMIN_LOGIN):
            return True
        url, response = target, client.get(target)
    return False


@pytest.mark.parametrize("who", [who for who in IDENTITIES if who not in ADMINISTRATORS])
def test_given_anyone_but_the_administrator_when_they_call_every_admin_url_then_sent_to_sign_in_and_nothing_changes(
    matrix, baseline, who
):
    client = session(matrix, who)
    refused_wrongly = []

    for pattern in admin_patterns():
        if pattern.name in admin_kinds.ADMIN_PUBLIC:
            continue
        url = admin_kinds.admin_url(pattern)
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, HOSTILE_FORM)
            if not lands_on_admin_login(client, url, response):
                refused_wrongly.append((method, url, response.status_code))

    assert not refused_wrongly, f"{who} is not sent to the admin's sign-in: {refused_wrongly}"
    assert snapshot() == baseline, f"{who} changed something through the admin"


@pytest.mark.parametrize("who", IDENTITIES)
def test_given_the_admin_sign_in_page_then_it_is_public(matrix, who):
    response = session(matrix, who).get(ADMIN_LOGIN)

    assert response.status_code in (200, 302), response.status_code


def _control_patterns() -> list[Pattern]:
    """Every changelist and custom view, and the first pattern of every other kind."""
    chosen: dict[str, Pattern] = {}
    for pattern in admin_patterns():
        kind = admin_kinds.kind_of(pattern)
        key = pattern.key if kind in ("changelist", "custom") else str(kind)
        chosen.setdefault(key, pattern)
    return list(chosen.values())


def test_given_the_administrator_when_they_open_admin_pages_of_every_kind_then_the_gate_lets_them_in(
    matrix,
):
    client = session(matrix, ADMIN)
    wrong = []

    for pattern in _control_patterns():
        url = admin_kinds.admin_url(pattern)
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        if response.status_code >= 500 or lands_on_admin_login(client, url, response):
            wrong.append((pattern.key, url, response.status_code))

    assert not wrong, f"the administrator is refused or meets an error: {wrong}"


@pytest.mark.parametrize("who", [ADMIN, SECURITY_ADMIN, AUDITOR])
def test_given_an_administrator_when_they_call_admin_urls_outside_their_duty_then_refused_and_nothing_changes(
    matrix, baseline, who
):
    client = session(matrix, who)
    wrong = []

    for pattern in admin_patterns():
        model = admin_kinds.model_of(pattern)
        if model is None:
            continue
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if duties.allows(who, label, "view"):
            continue
        url = admin_kinds.admin_url(pattern)
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, HOSTILE_FORM)
            if response.status_code in (301, 302) and urljoin(url, response["Location"]) == (
                f"{url}change/"
            ):
                # The admin's old-style object URL only spells out …/change/ (which refuses).
                response = client.get(f"{url}change/")
            if response.status_code not in (403, 404):
                wrong.append((method, url, response.status_code))

    assert not wrong, f"{who} reached another administrator's work: {wrong}"
    assert snapshot() == baseline, f"{who} changed something outside their duty"

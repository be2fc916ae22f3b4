"""The bell's unread count in the header: office pages read it with their counters
(web/header.py), other pages count it when they show it; the same number either way, capped."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from liandong.accounts.models import Role, User
from liandong.incidents import inbox
from liandong.incidents.actions.kernel import notify_many, office_unit
from liandong.incidents.models import Notification
from tests.factories import new_incident, office_user, unit, unit_user


def _bell(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    html = client.get(url).content.decode()
    badge = re.search(r'<span class="badge" id="bell-count"([^>]*)>([^<]*)</span>', html)
    assert badge is not None, url
    return "" if "display:none" in badge.group(1) else badge.group(2)


def _notify(unit_obj: object, n: int) -> None:
    notify_many(
        [Notification(unit=unit_obj, kind="new_incident", text=f"通知{k}") for k in range(n)]
    )


@pytest.mark.django_db
def test_the_office_pages_show_the_unread_count_read_with_their_counters() -> None:
    office = office_user()
    new_incident(by=office)  # one notification for the office
    assert inbox.unread_count(office) == 1
    for url in ("/console/", "/console/incidents/", "/console/decisions/"):
        assert _bell(office, url) == "1", url
    _notify(office_unit(), inbox.BELL_CAP + 5)
    assert _bell(office, "/console/") == f"{inbox.BELL_CAP}+"


@pytest.mark.django_db
def test_unit_pages_and_people_without_a_bell() -> None:
    duty = unit_user("housing")
    assert _bell(duty, "/unit/") == ""
    _notify(unit("housing"), 2)
    assert _bell(duty, "/unit/") == "2"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.ADMIN])
def test_people_whose_gate_shows_other_notifications_see_that_count(role: str) -> None:
    office = office_user()
    new_incident(by=office)
    reader = User.objects.create_user(username="reader", password="x" * 12, role=role)
    count = inbox.unread_count(reader)
    assert _bell(reader, "/console/incidents/") == (str(count) if count else "")

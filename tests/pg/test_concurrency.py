"""Two people acting on the same thing at the same moment, on real concurrent PostgreSQL
connections: exactly one wins, the other gets a 409, and there is exactly one event."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections

from liandong.incidents.models import Event
from tests.factories import Api, dispatched, instruction_of, office_user, unit_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], int]) -> list[int]:
    """Run the calls in threads released together; return their HTTP statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(call: Callable[[], int]) -> None:
        try:
            barrier.wait()
            status = call()
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(statuses)


@pytest.mark.parametrize("round_", range(5))
def test_two_duty_officers_sign_the_same_instruction_at_once(round_):
    incident = dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    inst = instruction_of(incident, "ecology")
    a, b = Api(unit_user("ecology")), Api(unit_user("ecology"))

    statuses = race(
        lambda: a.post(f"/instructions/{inst.pk}/sign").status_code,
        lambda: b.post(f"/instructions/{inst.pk}/sign").status_code,
    )

    assert statuses == [200, 409]
    assert Event.objects.filter(instruction=inst, kind="signed").count() == 1
    inst.refresh_from_db()
    assert inst.state == "signed"


def test_office_accept_and_send_back_race_one_wins():
    incident = dispatched(
        level=2,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    inst = instruction_of(incident, "ecology")
    unit = Api(unit_user("ecology"))
    unit.post(f"/instructions/{inst.pk}/sign")
    unit.post(f"/instructions/{inst.pk}/caller-contacts", {"reached": True})
    unit.post(f"/instructions/{inst.pk}/result", {"outcome": "resolved", "text": "已处理"})
    a, b = Api(office_user()), Api(office_user())

    statuses = race(
        lambda: a.post(f"/instructions/{inst.pk}/accept-result").status_code,
        lambda: (
            b.post(f"/instructions/{inst.pk}/send-back-result", {"reason": "请补充"}).status_code
        ),
    )

    assert statuses == [200, 409]
    kinds = list(
        Event.objects.filter(
            instruction=inst, kind__in=["result_accepted", "result_sent_back"]
        ).values_list("kind", flat=True)
    )
    assert len(kinds) == 1


def test_two_dispatchers_dispatch_the_same_incident_at_once():
    from tests.factories import new_incident

    incident = new_incident()
    body = {
        "incident_class": "source_diversion",
        "level": 2,
        "category": "noise",
        "primary_unit": "ecology",
    }
    a, b = Api(office_user()), Api(office_user())

    statuses = race(
        lambda: a.post(f"/incidents/{incident.incident_id}/dispatch", body).status_code,
        lambda: b.post(f"/incidents/{incident.incident_id}/dispatch", body).status_code,
    )

    assert statuses == [200, 409]
    assert incident.instructions.count() == 1
    assert Event.objects.filter(incident=incident, kind="dispatched").count() == 1

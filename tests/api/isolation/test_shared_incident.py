"""The primary and the cooperating unit on one incident: each sees the incident, but only its own
instruction, its events, its requests and its photos.
"""

from __future__ import annotations

from liandong.accounts.models import Role
from tests.api.isolation.endpoints import assert_refused, session
from tests.api.isolation.world import PNG, PREFIX, A, B, C
from tests.factories import unit_user

# --- the primary and the cooperating unit on one incident ---------------------------------------


def test_given_an_incident_shared_by_two_units_when_the_primary_unit_reads_it_then_it_sees_only_its_own_instruction(
    world,
):
    api = session(unit_user(A))

    detail = api.get(f"{PREFIX}/incidents/{world.incident.incident_id}")

    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert [i["id"] for i in body["instructions"]] == [world.a_inst.pk]
    assert {u["code"] for u in body["units"]} == {A, B}
    assert body["raw_request"] is None


def test_given_an_incident_shared_by_two_units_when_the_primary_unit_reads_the_timeline_then_it_has_no_events_of_the_other_units_instruction(
    world,
):
    office_timeline = session(world.dispatcher).get(
        f"{PREFIX}/incidents/{world.incident.incident_id}/timeline"
    )
    timeline = session(unit_user(A)).get(
        f"{PREFIX}/incidents/{world.incident.incident_id}/timeline"
    )

    assert timeline.status_code == 200, timeline.content
    office_instructions = {e["instruction"] for e in office_timeline.json()}
    assert world.b_inst.pk in office_instructions, "the office sees B's events (control)"
    events = timeline.json()
    assert events, "A sees the incident's own events"
    assert {e["instruction"] for e in events} <= {None, world.a_inst.pk}
    assert {e["unit"] for e in events} <= {None, A}
    assert any(e["instruction"] == world.a_inst.pk for e in events)
    assert any(e["kind"] == "dispatched" for e in events)


def test_given_an_incident_shared_by_two_units_when_the_cooperating_unit_reads_it_then_it_sees_only_its_own_instruction(
    world,
):
    api = session(unit_user(B))

    detail = api.get(f"{PREFIX}/incidents/{world.incident.incident_id}").json()
    timeline = api.get(f"{PREFIX}/incidents/{world.incident.incident_id}/timeline").json()
    instructions = api.get(f"{PREFIX}/instructions").json()
    by_unit = api.get(f"{PREFIX}/instructions", {"unit": A}).json()

    assert [i["id"] for i in detail["instructions"]] == [world.b_inst.pk]
    assert {u["code"] for u in detail["units"]} == {A, B}
    assert {e["instruction"] for e in timeline} <= {None, world.b_inst.pk}
    assert [i["id"] for i in instructions["items"]] == [world.b_inst.pk]
    assert by_unit == {"count": 0, "items": []}


def test_given_an_extension_request_of_the_primary_unit_when_the_leaders_list_pending_then_only_its_own_leader_sees_it(
    world,
):
    own = session(unit_user(A, Role.UNIT_LEADER)).get(f"{PREFIX}/pending").json()
    cooperating = session(unit_user(B, Role.UNIT_LEADER)).get(f"{PREFIX}/pending").json()
    outsider = session(unit_user(C, Role.UNIT_LEADER)).get(f"{PREFIX}/pending").json()

    assert [r["id"] for r in own["extensions_for_leader"]] == [world.extension.pk]
    assert cooperating["extensions_for_leader"] == []
    assert outsider["extensions_for_leader"] == []
    for body in (own, cooperating, outsider):
        assert body.get("returns", []) == []
        assert body.get("joins", []) == []
        assert body.get("extensions", []) == []


def test_given_a_photo_of_another_unit_when_a_unit_names_it_under_its_own_instruction_then_404(
    world,
):
    api = session(unit_user(A))

    response = api.get(
        f"{PREFIX}/instructions/{world.a_inst.pk}/attachments/{world.c_attachment.pk}"
    )
    own = api.get(f"{PREFIX}/instructions/{world.a_inst.pk}/attachments/{world.attachment.pk}")

    assert_refused(response, 404)
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PNG

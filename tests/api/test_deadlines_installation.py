"""Deadlines as an installation computes them: the `liandong deadlines` command, calendar edits,
tier changes, settings and the worker's overdue sweep."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from liandong import clock
from liandong.incidents.models import Deadline, Event, Notification
from liandong.sla.models import TimeLimitSetting
from liandong.worker.loop import run_once
from tests.factories import Api, dispatched, instruction_of, office_user, unit, unit_user


def deadlines_cli(*args: str) -> dict:
    out = StringIO()
    call_command("deadlines", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--level", "1", "--dispatched-at", "2026-11-30T23:59:00+08:00", "--tier", "1"],
            {
                "sign": "2026-12-01T00:09:00+08:00",
                "feedback": "2026-12-01T01:59:00+08:00",
                "result": "2026-12-01T23:59:00+08:00",
                "caller_contact_minutes": 5,
                "provisional": False,
            },
        ),
        (
            ["--level", "2", "--dispatched-at", "2026-09-30T10:00:00+08:00", "--tier", "2"],
            {
                "sign": "2026-09-30T10:30:00+08:00",
                "feedback": "2026-10-02T10:00:00+08:00",
                "result": "2026-10-11T00:00:00+08:00",
                "caller_contact_minutes": None,
                "provisional": False,
            },
        ),
        (
            [
                "--level",
                "2",
                "--dispatched-at",
                "2026-12-30T09:00:00+08:00",
                "--role",
                "cooperating",
            ],
            {
                "sign": "2026-12-30T09:30:00+08:00",
                "feedback": "2027-01-01T09:00:00+08:00",
                "result": "2027-01-05T00:00:00+08:00",
                "caller_contact_minutes": None,
                "provisional": True,
            },
        ),
        (
            ["--level", "2", "--dispatched-at", "2026-03-02T16:30:00Z", "--tier", "1"],
            {
                "sign": "2026-03-03T01:00:00+08:00",
                "feedback": "2026-03-05T00:30:00+08:00",
                "result": "2026-03-07T00:00:00+08:00",
                "caller_contact_minutes": 5,
                "provisional": False,
            },
        ),
    ],
    ids=["level1-at-23:59", "national-day-with-makeup-saturday", "into-unknown-2027", "utc-input"],
)
def test_deadlines_command_prints_the_plan(db, args, expected):
    assert deadlines_cli(*args) == expected


def test_deadlines_command_refuses_a_time_without_offset(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="offset"):
        deadlines_cli("--level", "2", "--dispatched-at", "2026-12-30T09:00:00")


def test_entering_2027_makes_provisional_deadlines_final_and_recomputes_them(db, frozen_at):
    # Given a level-2 instruction dispatched on 2026-12-30 (runs into 2027, not yet entered)
    frozen_at("2026-12-30T09:00:00+08:00")
    incident = dispatched(
        level=2,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    inst = instruction_of(incident, "ecology")
    result = inst.deadlines.get(kind="result")
    assert result.provisional
    assert clock.to_beijing(result.due_at).isoformat() == "2027-01-05T00:00:00+08:00"
    body = Api(office_user()).get(f"/instructions/{inst.pk}").json()
    assert next(d for d in body["deadlines"] if d["kind"] == "result")["provisional"] is True

    # When an administrator enters 2027 with 2027-01-01..03 off and a make-up Monday (none) …
    admin = Api(office_user(role="admin"))
    response = admin.put(
        "/calendar/2027",
        {
            "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
            "makeup_workdays": [],
        },
    )
    assert response.status_code == 200, response.content
    result.refresh_from_db()
    assert result.provisional  # the request only wrote the job; the worker moves the deadlines
    run_once()

    # Then the deadline is recomputed: Dec 31 (1), Jan 5 (2), Jan 6 (3) → 24:00 Jan 6; final
    result.refresh_from_db()
    assert not result.provisional
    assert clock.to_beijing(result.due_at).isoformat() == "2027-01-07T00:00:00+08:00"
    assert Event.objects.filter(instruction=inst, kind="deadline_recomputed").count() == 1
    assert (
        deadlines_cli("--level", "2", "--dispatched-at", "2026-12-30T09:00:00+08:00")["provisional"]
        is False
    )


def test_a_bad_calendar_is_refused_and_changes_nothing(db):
    admin = Api(office_user(role="admin"))
    response = admin.put(
        "/calendar/2027", {"holidays": ["2027-01-01"], "makeup_workdays": ["2027-01-06"]}
    )
    assert response.status_code == 422
    assert "2027-01-06" in response.json()["error"]["fields"][0]["message"]
    assert all(y["year"] != 2027 for y in admin.get("/calendar").json())
    dispatcher = Api(office_user())
    assert dispatcher.put("/calendar/2027", {"holidays": ["2027-01-01"]}).status_code == 403


def test_a_tier_change_applies_to_instructions_dispatched_after_it(db, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")
    before = dispatched(
        level=1,
        incident_class="source_diversion",
        category="heating-leak",
        primary="housing",
        cooperating=(),
    )
    office = Api(office_user())
    response = office.post("/units/housing/tier", {"tier": 1, "reason": "供暖季升为一级"})
    assert response.status_code == 200
    clock.advance(timedelta(minutes=1))
    after = dispatched(
        level=1,
        incident_class="source_diversion",
        category="heating-leak",
        primary="housing",
        cooperating=(),
    )
    old, new = instruction_of(before, "housing"), instruction_of(after, "housing")
    assert (old.tier, new.tier) == (2, 1)
    housing = Api(unit_user("housing"))
    housing.post(f"/instructions/{old.pk}/sign")
    housing.post(f"/instructions/{new.pk}/sign")
    assert not old.deadlines.filter(kind="caller_contact").exists()
    assert new.deadlines.filter(kind="caller_contact").exists()
    history = office.get("/units/housing/tier-history").json()
    assert [(h["from_tier"], h["to_tier"]) for h in history] == [(None, 2), (2, 1)]
    assert history[-1]["reason"] == "供暖季升为一级"
    assert unit("housing").history.count() >= 2


def test_time_limits_are_settings(db, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")
    TimeLimitSetting.objects.filter(level=1).update(sign_amount=15)
    incident = dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    sign = instruction_of(incident, "ecology").deadlines.get(kind="sign")
    assert clock.to_beijing(sign.due_at).isoformat() == "2026-12-01T09:15:00+08:00"


def test_the_worker_notes_an_overdue_deadline_once(db, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")
    incident = dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    inst = instruction_of(incident, "ecology")
    overdue = Event.objects.filter(instruction=inst, kind="deadline_overdue")
    run_once()  # (the worker also does other work: the month's bulletin, deliveries)
    assert overdue.count() == 0
    clock.advance(timedelta(minutes=11))
    run_once()
    assert overdue.count() == 1
    run_once()
    assert overdue.count() == 1
    assert set(
        Notification.objects.filter(kind="overdue").values_list("unit__code", flat=True)
    ) == {"ecology", "office"}
    body = Api(office_user()).get(f"/instructions/{inst.pk}").json()
    sign = next(d for d in body["deadlines"] if d["kind"] == "sign")
    assert sign["status"] == "overdue" and sign["missed_by_seconds"] == 60
    # Signing late records by how much it was missed
    clock.advance(timedelta(minutes=4))
    Api(unit_user("ecology")).post(f"/instructions/{inst.pk}/sign")
    deadline = Deadline.objects.get(instruction=inst, kind="sign")
    assert deadline.state == "missed" and deadline.missed_by_seconds == 300


def test_warning_status_after_the_configured_share(db, frozen_at):
    frozen_at("2026-12-01T09:00:00+08:00")
    incident = dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    inst = instruction_of(incident, "ecology")
    office = Api(office_user())
    clock.advance(timedelta(minutes=7))
    sign = next(
        d for d in office.get(f"/instructions/{inst.pk}").json()["deadlines"] if d["kind"] == "sign"
    )
    assert sign["status"] == "running" and sign["seconds_left"] == 180
    clock.advance(timedelta(minutes=1))
    sign = next(
        d for d in office.get(f"/instructions/{inst.pk}").json()["deadlines"] if d["kind"] == "sign"
    )
    assert sign["status"] == "warning"

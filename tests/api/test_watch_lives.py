"""Whole instruction lives with the clock moved and two workers taking turns: every warning, breach
and supervision proposal exactly once and on time, told to the ladder's audiences; fair clocks for
returns and extensions; the daily digest once a day; a worker that was down catches up."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from liandong import clock
from liandong.accounts.models import Role
from liandong.incidents import actions
from liandong.incidents.models import Deadline, Event, Instruction, Notification
from liandong.worker.loop import run_once
from tests.factories import Api, dispatched, instruction_of, office_user, unit_user

T0 = "2026-11-30T09:00:00+08:00"  # a Monday
WATCH_KINDS = ("deadline_warning", "deadline_overdue", "supervision_proposed")


def at(minutes: float) -> datetime:
    return datetime.fromisoformat(T0) + timedelta(minutes=minutes)


def move_to(minutes: float) -> None:
    clock.advance(at(minutes) - clock.now())


def two_workers() -> int:
    """Worker A and worker B each take a whole turn (the second finds nothing left of the watch);
    returns how many stage events they appended."""
    before = Event.objects.filter(kind__in=WATCH_KINDS).count()
    run_once()
    middle = Event.objects.filter(kind__in=WATCH_KINDS).count()
    run_once()
    after = Event.objects.filter(kind__in=WATCH_KINDS).count()
    assert after == middle, "the second worker repeated a stage"
    return after - before


def stages(instruction: Instruction) -> list[tuple[str, str, datetime]]:
    """(event kind, deadline kind, when) of the watch's events, in order."""
    return [
        (e.kind, e.data["kind"], e.occurred_at)
        for e in Event.objects.filter(instruction=instruction, kind__in=WATCH_KINDS).order_by("id")
    ]


def audiences(instruction: Instruction, kind: str) -> Counter[tuple[str, str]]:
    return Counter(
        Notification.objects.filter(instruction=instruction, kind=kind).values_list(
            "unit__code", "audience"
        )
    )


def urgent_noise() -> Instruction:
    incident = dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )
    return instruction_of(incident, "ecology")  # ecology is a tier-1 unit: it calls the caller


def test_a_late_unit_gets_each_stage_once_and_on_time(db, frozen_at):
    frozen_at(T0)
    inst = urgent_noise()
    officer = unit_user("ecology")
    for minute in (1, 7.99):
        move_to(minute)
        assert two_workers() == 0
    move_to(8)  # 80% of the 10-minute sign deadline
    assert two_workers() == 1
    move_to(10)  # the sign deadline passes
    assert two_workers() == 1
    move_to(11)
    actions.do_sign_instruction(actor=officer, instruction=Instruction.objects.get(pk=inst.pk))
    assert two_workers() == 0
    move_to(15)  # 80% of the 5 minutes to call the caller (from 11:00)
    assert two_workers() == 1
    move_to(16)
    assert two_workers() == 1
    move_to(17)
    actions.do_record_caller_contact(
        actor=officer, instruction=Instruction.objects.get(pk=inst.pk), reached=True
    )
    move_to(96)  # 80% of the 2-hour first feedback
    assert two_workers() == 1
    actions.do_give_feedback(
        actor=officer, instruction=Instruction.objects.get(pk=inst.pk), text="已到现场"
    )
    move_to(60 * 25)  # the result's warning (19.2 h) and breach (24 h) have passed: caught up
    assert two_workers() == 1

    assert stages(inst) == [
        ("deadline_warning", "sign", at(8)),
        ("deadline_overdue", "sign", at(10)),
        ("deadline_warning", "caller_contact", at(15)),
        ("deadline_overdue", "caller_contact", at(16)),
        ("deadline_warning", "feedback", at(96)),
        ("deadline_overdue", "result", at(60 * 25)),  # caught up: the breach says it all
    ]
    # the ladder: a warning to the unit; a breach to the unit, its leaders and the office
    assert audiences(inst, "deadline_warning") == Counter({("ecology", "all"): 3})
    assert audiences(inst, "overdue") == Counter(
        {("ecology", "all"): 3, ("ecology", "leaders"): 3, ("office", "all"): 3}
    )
    result = Deadline.objects.get(instruction=inst, kind="result")
    assert result.watch_at == at(24 * 60 + 120)  # the supervision proposal is next


def test_an_instruction_nobody_signs_is_proposed_for_supervision_after_two_hours(db, frozen_at):
    frozen_at(T0)
    inst = urgent_noise()
    move_to(10 + 119)
    two_workers()
    assert not Event.objects.filter(kind="supervision_proposed").exists()
    move_to(10 + 120)
    assert two_workers() == 1
    event = Event.objects.get(instruction=inst, kind="supervision_proposed")
    assert event.data["kind"] == "sign" and event.occurred_at == at(130)
    assert audiences(inst, "supervision_proposed") == Counter({("office", "supervisors"): 1})
    supervisor = Api(office_user(Role.SUPERVISOR))
    dispatcher = Api(office_user())
    assert any(n["kind"] == "supervision_proposed" for n in supervisor.get("/notifications").json())
    assert not any(
        n["kind"] == "supervision_proposed" for n in dispatcher.get("/notifications").json()
    )
    move_to(24 * 60)
    two_workers()  # the feedback deadline (2 h) is proposed too, the sign deadline not again
    proposed = Event.objects.filter(instruction=inst, kind="supervision_proposed")
    assert sorted(e.data["kind"] for e in proposed) == ["feedback", "sign"]


def test_a_worker_down_for_hours_catches_up_once(db, frozen_at):
    frozen_at(T0)
    inst = urgent_noise()
    move_to(10 * 60)  # nobody watched for ten hours
    assert two_workers() == 4
    assert [(k, d) for k, d, _ in stages(inst)] == [
        ("deadline_overdue", "sign"),
        ("supervision_proposed", "sign"),
        ("deadline_overdue", "feedback"),
        ("supervision_proposed", "feedback"),
    ]
    assert two_workers() == 0


def test_waiting_for_the_office_on_a_return_does_not_count_against_the_unit(db, frozen_at):
    frozen_at(T0)
    inst = urgent_noise()
    move_to(2)
    request = actions.do_request_return(
        actor=unit_user("ecology"), instruction=inst, reason="属城管职责"
    )
    move_to(30)  # the office sits on it for 28 minutes: the sign deadline (10 min) is paused
    assert two_workers() == 0
    body = Api(office_user()).get(f"/instructions/{inst.pk}").json()
    assert {d["status"] for d in body["deadlines"]} == {"paused"}
    actions.do_decide_return_request(
        actor=office_user(), request=request, reassign_to=None, note="属本单位职责"
    )
    sign = Deadline.objects.get(instruction=inst, kind="sign")
    assert sign.due_at == at(10 + 28) and sign.warn_at == at(8 + 28)
    assert sign.paused_seconds == 28 * 60
    move_to(37)
    actions.do_sign_instruction(
        actor=unit_user("ecology"), instruction=Instruction.objects.get(pk=inst.pk)
    )
    assert Deadline.objects.get(pk=sign.pk).state == "met"  # not 签收已超时
    assert Event.objects.filter(instruction=inst, kind="deadline_overdue").count() == 0


def test_an_extension_asked_in_time_and_granted_later_is_not_a_breach(db, frozen_at):
    frozen_at(T0)
    inst = urgent_noise()
    officer = unit_user("ecology")
    actions.do_sign_instruction(actor=officer, instruction=inst)
    result = Deadline.objects.get(instruction=inst, kind="result")
    move_to(23 * 60)  # an hour before the result is due
    ext = actions.do_request_extension(
        actor=officer,
        instruction=Instruction.objects.get(pk=inst.pk),
        progress="已关阀",
        reason="配件明日到",
        proposed_due_at=result.due_at + timedelta(days=1),
    )
    move_to(25 * 60)  # past the due time while the request waits
    two_workers()
    assert not Event.objects.filter(
        instruction=inst, kind="deadline_overdue", data__kind="result"
    ).exists()
    actions.do_leader_decide_extension(
        actor=unit_user("ecology", Role.UNIT_LEADER), request=ext, approve=True
    )
    actions.do_decide_extension(actor=office_user(), request=ext, grant=True)
    two_workers()
    assert not Event.objects.filter(
        instruction=inst, kind="deadline_overdue", data__kind="result"
    ).exists()
    assert Deadline.objects.get(pk=result.pk).due_at == result.due_at + timedelta(days=1)


@pytest.mark.parametrize("who", ["leader", "office"])
def test_a_refused_extension_breaches_at_once_when_its_time_has_passed(db, frozen_at, who):
    frozen_at(T0)
    inst = urgent_noise()
    officer = unit_user("ecology")
    actions.do_sign_instruction(actor=officer, instruction=inst)
    result = Deadline.objects.get(instruction=inst, kind="result")
    move_to(23 * 60)
    ext = actions.do_request_extension(
        actor=officer,
        instruction=Instruction.objects.get(pk=inst.pk),
        progress="已关阀",
        reason="配件明日到",
        proposed_due_at=result.due_at + timedelta(days=1),
    )
    move_to(25 * 60)
    two_workers()
    leader = unit_user("ecology", Role.UNIT_LEADER)
    if who == "leader":
        actions.do_leader_decide_extension(actor=leader, request=ext, approve=False, note="不同意")
    else:
        actions.do_leader_decide_extension(actor=leader, request=ext, approve=True)
        actions.do_decide_extension(
            actor=office_user(), request=ext, grant=False, note="应按时完成"
        )
    move_to(25 * 60 + 1)
    two_workers()
    breach = Event.objects.get(instruction=inst, kind="deadline_overdue", data__kind="result")
    assert breach.data["moment"] == clock.iso(result.due_at)


def test_the_daily_digest_tells_each_leader_once_a_day(db, frozen_at):
    frozen_at("2026-11-30T07:00:00+08:00")
    urgent_noise()
    move_to(-90)  # 07:30: the sign deadline has passed, the digest hour (08:00) not yet
    two_workers()
    assert not Notification.objects.filter(kind="digest").exists()
    move_to(0)  # 09:00 on the same day... the digest hour has come
    two_workers()
    digest = Notification.objects.get(kind="digest")
    assert digest.unit.code == "ecology" and digest.audience == "leaders"
    assert "超时" in digest.text
    move_to(60 * 5)
    two_workers()
    assert Notification.objects.filter(kind="digest").count() == 1
    move_to(60 * 24)  # the next day
    two_workers()
    assert Notification.objects.filter(kind="digest").count() == 2

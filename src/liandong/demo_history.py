"""A realistic history for the demo, the screens and the benchmarks, made through the real actions
with the clock moved: `liandong seed-history --days N --per-day M [--seed S]`.

Each day gets about M incidents from the corpus (every catalogue category), triaged as the catalogue
proposes and dispatched; most units sign, call, report and finish in time, some late in realistic
proportions; a few return an instruction (the office reassigns), ask for more time (granted or
not), are urged; a unit far behind on a result gets a supervision order (督办) that its leader
answers in writing, some late; the office accepts, closes and calls back (mostly satisfied, some
reopen)."""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.assessment.actions import do_refresh_bulletin
from liandong.assessment.models import Bulletin
from liandong.incidents import actions
from liandong.incidents.models import Incident, Instruction, Satisfaction
from liandong.incidents.selectors import triage_proposal
from liandong.supervision.actions import (
    do_accept_supervision_answer,
    do_answer_supervision_order,
    do_issue_supervision_order,
)
from liandong.supervision.models import SupervisionOrder
from liandong.units.models import Category, Unit


@dataclass(frozen=True)
class Rates:
    """How often things go wrong (per instruction or incident)."""

    late_sign: float = 0.12
    late_feedback: float = 0.15
    late_result: float = 0.10
    never_done: float = 0.03
    returned: float = 0.05
    urged: float = 0.08
    unsatisfied: float = 0.08
    reopened: float = 0.4  # of the unsatisfied
    supervised: float = 0.12  # of the late results: a 督办 order before the result comes
    answered_late: float = 0.25  # of the orders


def _corpus() -> list[dict[str, Any]]:
    text = resources.files("liandong.citylink").joinpath("corpus.yaml").read_text("utf-8")
    return list(yaml.safe_load(text)["incidents"])


def _person(username: str, role: str, unit: Unit | None) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"role": role, "unit": unit, "first_name": username}
    )
    return user


def _officer(unit: Unit) -> User:
    return _person(f"hist-{unit.code}", Role.DUTY_OFFICER, unit)


class Later(Exception):
    """The next step of an incident would be after the history's end: it stays as it is."""


_END: list[datetime] = []


def _at(moment: datetime) -> None:
    """Move the (frozen) clock to `moment`, backwards too (each incident keeps its own order)."""
    if _END and moment > _END[-1]:
        raise Later
    clock.advance(moment - clock.now())


def _work(inst: Instruction, start: datetime, rng: random.Random, rates: Rates) -> datetime:
    """One unit's work on its instruction; returns when its result was given."""
    officer = _officer(inst.unit)
    level1 = inst.level == 1
    sign_late = rng.random() < rates.late_sign
    sign_after = (
        rng.uniform(11, 40)
        if level1 and sign_late
        else rng.uniform(35, 120)
        if sign_late
        else rng.uniform(1, 9 if level1 else 28)
    )
    _at(start + timedelta(minutes=sign_after))
    actions.do_sign_instruction(actor=officer, instruction=inst)
    if rng.random() < rates.urged:
        actions.do_urge_instruction(
            actor=None, instruction=inst, note="请加快处置", by_city=rng.random() < 0.4
        )
    if inst.role == "primary":
        _at(clock.now() + timedelta(minutes=rng.uniform(1, 4 if rng.random() > 0.1 else 9)))
        actions.do_record_caller_contact(
            actor=officer,
            instruction=Instruction.objects.get(pk=inst.pk),
            reached=rng.random() > 0.1,
        )
    feedback_hours = (2 if level1 else 48) * (
        rng.uniform(1.05, 1.6) if rng.random() < rates.late_feedback else rng.uniform(0.05, 0.8)
    )
    _at(start + timedelta(hours=feedback_hours))
    actions.do_give_feedback(
        actor=officer, instruction=Instruction.objects.get(pk=inst.pk), text="已到现场核实处置"
    )
    limit = 24 if level1 else 72
    late = rng.random() < rates.late_result
    result_hours = limit * (rng.uniform(1.05, 1.5) if late else rng.uniform(0.3, 0.95))
    order = None
    if late and rng.random() < rates.supervised:
        _at(max(clock.now(), start + timedelta(hours=limit * 1.02)))
        order = _supervise(inst)
    _at(max(clock.now() + timedelta(minutes=5), start + timedelta(hours=result_hours)))
    actions.do_report_result(
        actor=officer,
        instruction=Instruction.objects.get(pk=inst.pk),
        outcome="resolved",
        text="已处置完毕，现场恢复正常",
    )
    finished = clock.now()
    if order is not None:
        _answer(order, rng, rates)
    return finished


def _supervise(inst: Instruction) -> SupervisionOrder:
    supervisor = _person("hist-supervisor", Role.SUPERVISOR, None)
    return do_issue_supervision_order(
        actor=supervisor,
        unit=inst.unit,
        instructions=[inst],
        problems=f"你单位承办的{inst.incident.incident_id}号警情已超过处置时限，至今未反馈处置结果。",
        measures="请主要领导亲自过问，立即组织力量处置，并将处置情况及整改措施书面报区联动办。",
        answer_due_at=clock.now() + timedelta(days=2),
        contact="区联动办 督办科 024-12345678",
    )


def _answer(order: SupervisionOrder, rng: random.Random, rates: Rates) -> None:
    """The unit's leader answers (some after the deadline); the office accepts."""
    leader = _person(f"hist-leader-{order.unit.code}", Role.UNIT_LEADER, order.unit)
    late = rng.random() < rates.answered_late
    offset = timedelta(hours=rng.uniform(2, 30) if late else -rng.uniform(3, 40))
    _at(max(clock.now() + timedelta(minutes=10), order.answer_due_at + offset))
    answered = do_answer_supervision_order(
        actor=leader,
        order=order,
        text="收到督办通知后，我单位主要领导已召开专题会议研究部署，警情已处置完毕，"
        "今后将加强值班调度，确保按时限办理。",
    )
    _at(clock.now() + timedelta(hours=rng.uniform(1, 8)))
    do_accept_supervision_answer(
        actor=_person("hist-supervisor", Role.SUPERVISOR, None),
        order=answered,
        note="回复已阅，同意办结",
    )


def _incident(
    entry: dict[str, Any], received: datetime, rng: random.Random, rates: Rates, office: User
) -> None:
    _at(received)
    incident = actions.do_create_manual_incident(
        actor=office,
        caller_phone=f"139{rng.randrange(10**8):08d}",
        address=entry["address"],
        content=entry["content"],
        police_dispatched=bool(entry.get("police_dispatched")),
    )
    _at(received + timedelta(minutes=rng.uniform(1, 6)))
    category = Category.objects.get(code=entry["category"])
    proposal = triage_proposal(incident, category)
    primary_code = (proposal["primary_unit"] or proposal["street"] or {"code": "emergency-svc"})[
        "code"
    ]
    linked = entry.get("class_hint") == "linked_disposal"
    coop = (
        [u["code"] for u in proposal["cooperating_units"] if u["code"] != primary_code]
        if linked
        else []
    )
    made = actions.do_dispatch_incident(
        actor=office,
        incident=incident,
        incident_class="linked_disposal" if linked else "source_diversion",
        level=1 if entry.get("urgency") == "urgent" else 2,
        category=category,
        primary_unit=Unit.objects.get(code=primary_code),
        cooperating_units=list(Unit.objects.filter(code__in=coop)),
        street=Unit.objects.filter(code=(proposal["street"] or {}).get("code")).first(),
    )
    dispatched_at = clock.now()
    if rng.random() < rates.never_done:
        return  # left open: still overdue today
    if rng.random() < rates.returned:
        first = made[0]
        request = actions.do_request_return(
            actor=_officer(first.unit), instruction=first, reason="经核实不属本单位职责"
        )
        _at(clock.now() + timedelta(minutes=rng.uniform(3, 30)))
        taken = incident.instructions.values_list("unit_id", flat=True)
        other = Unit.objects.filter(tier=1).exclude(pk__in=taken).order_by("?").first()
        actions.do_decide_return_request(
            actor=office, request=request, reassign_to=other, note="改派"
        )
        made = [Instruction.objects.filter(reassigned_from=first).get(), *made[1:]]
    finished = [_work(inst, dispatched_at, rng, rates) for inst in made]
    _at(max(finished) + timedelta(minutes=rng.uniform(10, 90)))
    for inst in made:
        actions.do_accept_result(actor=office, instruction=Instruction.objects.get(pk=inst.pk))
    actions.do_close_incident(
        actor=office, incident=Incident.objects.get(pk=incident.pk), outcome="已处置完毕"
    )
    _at(clock.now() + timedelta(hours=rng.uniform(2, 20)))
    unhappy = rng.random() < rates.unsatisfied
    actions.do_record_call_back(
        actor=office,
        incident=Incident.objects.get(pk=incident.pk),
        satisfaction=Satisfaction.UNSATISFIED
        if unhappy
        else rng.choice([Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY]),
        reopen=unhappy and rng.random() < rates.reopened,
    )


def seed_history(*, days: int, per_day: int, seed: int = 1, rates: Rates | None = None) -> int:
    """Write `days` days of history ending yesterday; returns how many incidents it made."""
    rng = random.Random(seed)
    rates = rates or Rates()
    corpus = _corpus()
    office = _person("hist-office", Role.DISPATCHER, None)
    now = clock.now()
    today = clock.to_beijing(now).replace(hour=0, minute=0, second=0, microsecond=0)
    made = 0
    _END.append(now)
    try:
        with clock.frozen(today - timedelta(days=days)):
            for day in range(days, 0, -1):
                start = today - timedelta(days=day)
                for _ in range(max(0, round(rng.gauss(per_day, per_day * 0.3)))):
                    received = start + timedelta(minutes=rng.uniform(6 * 60, 23 * 60))
                    with contextlib.suppress(Later):  # a later step: still worked on today
                        _incident(rng.choice(corpus), received, rng, rates, office)
                    made += 1
    finally:
        _END.pop()
    for draft in Bulletin.objects.filter(state="draft"):  # drafted before this past existed
        do_refresh_bulletin(actor=office, bulletin=draft)
    return made

"""Reads for the monthly bulletin: the incidents the office may pick as typical cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import DurationField, ExpressionWrapper, F, Q

from liandong import clock
from liandong.assessment.compose import month_bounds
from liandong.incidents.lifecycle import DeadlineState
from liandong.incidents.models import Deadline, Incident
from liandong.supervision.models import SupervisionOrder

MAX_CANDIDATES = 12


@dataclass(frozen=True)
class CaseCandidate:
    incident_id: str
    pk: int
    why: str  #: why it is offered (督办 / 重新处置 / 超时)
    text: str  #: a drafted paragraph the office may insert and edit


def case_candidates(month: date) -> list[CaseCandidate]:
    """Incidents of the month worth citing: those under a supervision order, those reopened after
    an unsatisfied call-back, then those with the latest results; each with a drafted paragraph."""
    start, end = month_bounds(month)
    received = Q(received_at__gte=start, received_at__lt=end)
    found: dict[int, CaseCandidate] = {}

    orders = (
        SupervisionOrder.objects.filter(issued_at__gte=start, issued_at__lt=end)
        .select_related("unit")
        .prefetch_related("instructions__incident__category")
        .order_by("issued_at")
    )
    for order in orders:
        for instruction in order.instructions.all():
            incident = instruction.incident
            answer = "，逾期回复" if order.answered_late else ""
            found.setdefault(
                incident.pk,
                _candidate(
                    incident,
                    "督办",
                    f"{order.unit.name}未按时限办理，区联动办下发督办通知（{order.number}）{answer}。",
                ),
            )
    reopened = (
        Incident.objects.filter(received, callbacks__reopened=True)
        .select_related("category")
        .distinct()
        .order_by("received_at")
    )
    for incident in reopened[:MAX_CANDIDATES]:
        found.setdefault(
            incident.pk,
            _candidate(incident, "重新处置", "报警人回访不满意，区联动办责成重新处置。"),
        )
    late = (
        Deadline.objects.filter(
            kind="result",
            state=DeadlineState.MISSED,
            instruction__incident__received_at__gte=start,
            instruction__incident__received_at__lt=end,
        )
        .select_related("instruction__unit", "instruction__incident__category")
        .annotate(lateness=ExpressionWrapper(F("completed_at") - F("due_at"), DurationField()))
        .order_by("-lateness", "pk")
    )
    for deadline in late[: MAX_CANDIDATES * 2]:
        if len(found) >= MAX_CANDIDATES:
            break
        assert deadline.completed_at is not None  # a missed deadline was completed late
        hours = (deadline.completed_at - deadline.due_at).total_seconds() / 3600
        instruction = deadline.instruction
        found.setdefault(
            instruction.incident.pk,
            _candidate(
                instruction.incident,
                "超时",
                f"{instruction.unit.name}超过办结时限{hours:.0f}小时才反馈处置结果。",
            ),
        )
    return list(found.values())[:MAX_CANDIDATES]


def _candidate(incident: Incident, why: str, what: str) -> CaseCandidate:
    day = clock.to_beijing(incident.received_at)
    category = incident.category.name if incident.category else "非警务"
    place = incident.address or "辖区内"
    text = f"{day.month}月{day.day}日，群众反映{place}{category}问题（警情编号{incident.incident_id}）。{what}"
    return CaseCandidate(incident_id=incident.incident_id, pk=incident.pk, why=why, text=text)

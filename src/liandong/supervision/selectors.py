"""Reads of supervision orders: what a person may see (from the gate's predicates), the view of one
order with this person's actions, the instructions a supervisor may choose for a new order."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import NotFound
from liandong.incidents import access
from liandong.incidents.available import Offer, offer
from liandong.supervision.lifecycle import SUPERVISION_ORDER
from liandong.supervision.models import SupervisionOrder


def visible_orders(user: User) -> QuerySet[SupervisionOrder]:
    """The office, leadership and administrators see every order; a unit sees its own."""
    if access.reads_everything(user):
        return SupervisionOrder.objects.all()
    if access.is_unit_user(user) and user.unit_id is not None:
        return SupervisionOrder.objects.filter(unit_id=user.unit_id)
    return SupervisionOrder.objects.none()


def access_order(user: User, pk: int) -> SupervisionOrder:
    found = visible_orders(user).filter(pk=pk).select_related("unit").first()
    if found is None:
        raise NotFound("督办不存在或无权查看", code="unknown_order")
    return found


def order_actions(user: User, order: SupervisionOrder) -> list[Offer]:
    state = order.state
    return [
        offer(
            "answer",
            SUPERVISION_ORDER.action_labels["answer"],
            access.unit_leader_seat(user, order.unit_id),
            SUPERVISION_ORDER,
            state,
        ),
        *(
            offer(
                name,
                SUPERVISION_ORDER.action_labels[name],
                access.supervisor_seat(user),
                SUPERVISION_ORDER,
                state,
            )
            for name in ("accept", "send_back")
        ),
    ]


def may_issue(user: User) -> bool:
    return access.supervisor_seat(user) is None


def order_dict(user: User, order: SupervisionOrder) -> dict[str, Any]:
    offers = order_actions(user, order)
    now = clock.now()
    return {
        "id": order.pk,
        "number": order.number,
        "title": order.title,
        "unit": {"code": order.unit.code, "name": order.unit.name},
        "state": order.state,
        "state_label": order.get_state_display(),
        "problems": order.problems,
        "measures": order.measures,
        "contact": order.contact,
        "issued_at": clock.iso(order.issued_at),
        "answer_due_at": clock.iso(order.answer_due_at),
        "overdue": order.state == "issued" and now > order.answer_due_at,
        "answer_text": order.answer_text,
        "answered_at": clock.iso(order.answered_at),
        "answered_late": order.answered_late,
        "answer_document": order.answer_document_id,
        "decision_note": order.decision_note,
        "instructions": [
            {
                "id": i.pk,
                "incident_id": i.incident.incident_id,
                "address": i.incident.address,
                "state_label": i.get_state_display(),
            }
            for i in order.instructions.select_related("incident").order_by("pk")
        ],
        "allowed_actions": [o.action for o in offers if o.allowed],
        "actions": [o.as_dict() for o in offers],
    }


def listing(
    user: User, *, state: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    qs = visible_orders(user).select_related("unit").order_by("-issued_at", "-id")
    if state:
        qs = qs.filter(state=state)
    return qs.count(), [order_dict(user, o) for o in qs[offset : offset + limit]]

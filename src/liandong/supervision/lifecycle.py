"""The life of a supervision order, as a table (pure Python, like incidents.lifecycle).

The supervisor issues it; the unit's leader answers in writing; the supervisor accepts the answer
(the order is closed) or sends it back (the unit answers again)."""

from __future__ import annotations

from enum import StrEnum

from liandong.incidents.lifecycle import Machine, _rows


class OrderState(StrEnum):
    ISSUED = "issued"
    ANSWERED = "answered"
    CLOSED = "closed"


ORDER_STATE_LABELS: dict[str, str] = {
    OrderState.ISSUED: "待书面回复",
    OrderState.ANSWERED: "回复待审核",
    OrderState.CLOSED: "已办结",
}

St = OrderState
SUPERVISION_ORDER = Machine(
    name="督办",
    table=_rows(
        [
            ((St.ISSUED,), "answer", St.ANSWERED),
            ((St.ANSWERED,), "accept", St.CLOSED),
            ((St.ANSWERED,), "send_back", St.ISSUED),
        ]
    ),
    state_labels=ORDER_STATE_LABELS,
    action_labels={"answer": "书面回复", "accept": "认可回复并办结", "send_back": "退回重新回复"},
)

"""The life of anything sent out (a report to the city, a message on a channel), as a table.

A pending item is sent until it is delivered, retried after a failure, or parked on a permanent
refusal; an administrator (or the office, for city reports) resends a parked item after fixing the
cause. Pure Python."""

from __future__ import annotations

from liandong.incidents.lifecycle import SAME, Machine, _rows

PENDING, DELIVERED, PARKED = "pending", "delivered", "parked"

OUTBOX = Machine(
    name="外发",
    table=_rows(
        [
            ((PENDING,), "delivered", DELIVERED),
            ((PENDING,), "retry", SAME),
            ((PENDING,), "park", PARKED),
            ((PARKED,), "resend", PENDING),
        ]
    ),
    state_labels={PENDING: "待发送", DELIVERED: "已送达", PARKED: "已搁置（需处理）"},
    action_labels={"delivered": "送达", "retry": "稍后重试", "park": "搁置", "resend": "重新发送"},
)

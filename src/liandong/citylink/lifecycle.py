"""The life of an outbound report to the city, as a table (pure Python, like incidents.lifecycle).

A pending report is sent until it is delivered, retried after a failure, or parked on a permanent
refusal; the office resends a parked report after fixing the cause."""

from __future__ import annotations

from liandong.incidents.lifecycle import SAME, Machine, _rows

PENDING, DELIVERED, PARKED = "pending", "delivered", "parked"

REPORT = Machine(
    name="上报",
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

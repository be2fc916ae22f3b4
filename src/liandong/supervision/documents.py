"""A supervision order as the official document (.docx and PDF), from its stored row."""

from __future__ import annotations

from liandong import clock
from liandong.documents import SupervisionOrderDoc, supervision_order_docx, supervision_order_pdf
from liandong.supervision.models import SupervisionOrder

ISSUER = "于洪区110非警务警情联动处置工作领导小组办公室"


def _date(moment: object) -> str:
    local = clock.to_beijing(moment)  # type: ignore[arg-type]
    return f"{local.year}年{local.month}月{local.day}日"


def order_doc(order: SupervisionOrder) -> SupervisionOrderDoc:
    due = clock.to_beijing(order.answer_due_at)
    items = tuple(
        f"警情{i.incident.incident_id}，{i.incident.address}，"
        f"{clock.to_beijing(i.dispatched_at):%m月%d日%H:%M}派发，当前{i.get_state_display()}"
        for i in order.instructions.select_related("incident").order_by("pk")
    )
    return SupervisionOrderDoc(
        issuer=ISSUER,
        number=order.number,
        title=order.title,
        addressee=order.unit.name,
        items=items,
        problems=order.problems,
        measures=order.measures,
        answer_due=f"{due.year}年{due.month}月{due.day}日{due.hour}时{due.minute:02d}分前",
        contact=order.contact,
        date=_date(order.issued_at),
    )


def order_file(order: SupervisionOrder, kind: str) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of the order as .docx or PDF."""
    doc = order_doc(order)
    if kind == "pdf":
        return supervision_order_pdf(doc), "application/pdf", f"{order.number}.pdf"
    return (
        supervision_order_docx(doc),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"{order.number}.docx",
    )

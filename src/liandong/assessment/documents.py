"""A monthly bulletin as the official document (.docx, PDF) and a workbook (.xlsx)."""

from __future__ import annotations

from liandong import clock
from liandong.assessment.actions import ISSUER
from liandong.assessment.models import Bulletin
from liandong.documents import (
    BulletinDoc,
    OverdueUnit,
    RankingRow,
    bulletin_docx,
    bulletin_pdf,
    bulletin_xlsx,
)


def _pct(value: object) -> str:
    return "—" if value is None else f"{value}%"


def bulletin_doc(bulletin: Bulletin) -> BulletinDoc:
    data = bulletin.data
    when = clock.to_beijing(bulletin.published_at or clock.now())
    return BulletinDoc(
        issuer=ISSUER,
        number=bulletin.number or "（草稿）",
        title=bulletin.title,
        period=data.get("period", ""),
        totals=tuple(
            (
                t["label"],
                "—" if t["value"] is None else f"{t['value']}{t['unit']}",
                t["change"],
            )
            for t in data.get("totals", [])
        ),
        narrative=bulletin.narrative,
        ranking=tuple(
            RankingRow(
                tier=r["tier"],
                rank=r["rank"] or 0,
                unit=r["unit"],
                score=r["score"] or 0.0,
                sign_rate=_pct(r["sign_rate"]),
                feedback_rate=_pct(r["feedback_rate"]),
                result_rate=_pct(r["result_rate"]),
                contact_rate=_pct(r["contact_rate"]),
                overdue=r["overdue"],
                urges=r["urges"],
                supervisions=r["supervisions"],
                satisfaction=_pct(r["satisfaction_rate"]),
            )
            for r in data.get("ranking", [])
            if r["rank"] is not None
        ),
        overdue_units=tuple(
            OverdueUnit(u["unit"], u["count"]) for u in data.get("overdue_units", [])
        ),
        supervision_orders=tuple(data.get("supervision_orders", [])),
        typical_cases=tuple(bulletin.typical_cases),
        date=f"{when.year}年{when.month}月{when.day}日",
    )


KINDS = {
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        bulletin_docx,
    ),
    "pdf": ("application/pdf", bulletin_pdf),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bulletin_xlsx),
}


def bulletin_file(bulletin: Bulletin, kind: str) -> tuple[bytes, str, str]:
    content_type, render = KINDS[kind]
    name = f"{bulletin.month:%Y年%m月}通报{'（草稿）' if not bulletin.number else ''}.{kind}"
    return render(bulletin_doc(bulletin)), content_type, name

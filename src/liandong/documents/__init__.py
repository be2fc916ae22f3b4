"""Official documents (GB/T 9704-2012): the 督办通知 and the monthly 通报 as .docx and PDF, the
通报 also as .xlsx. Plain dataclasses in (`model.py`), bytes out; no Django here."""

from __future__ import annotations

from .compose import bulletin_blocks, order_blocks
from .fonts import CJKFontNotFound
from .model import BulletinDoc, OverdueUnit, RankingRow, SupervisionOrderDoc

__all__ = [
    "BulletinDoc",
    "CJKFontNotFound",
    "OverdueUnit",
    "RankingRow",
    "SupervisionOrderDoc",
    "bulletin_docx",
    "bulletin_pdf",
    "bulletin_xlsx",
    "supervision_order_docx",
    "supervision_order_pdf",
]


def supervision_order_pdf(doc: SupervisionOrderDoc) -> bytes:
    from .pdf_render import render_pdf

    return render_pdf(order_blocks(doc), doc.title, doc.issuer)


def bulletin_pdf(doc: BulletinDoc) -> bytes:
    from .pdf_render import render_pdf

    return render_pdf(bulletin_blocks(doc), doc.title, doc.issuer)


def supervision_order_docx(doc: SupervisionOrderDoc) -> bytes:
    from .docx_render import render_docx

    return render_docx(order_blocks(doc), doc.title, doc.issuer)


def bulletin_docx(doc: BulletinDoc) -> bytes:
    from .docx_render import render_docx

    return render_docx(bulletin_blocks(doc), doc.title, doc.issuer)


def bulletin_xlsx(doc: BulletinDoc) -> bytes:
    from .xlsx_render import render_xlsx

    return render_xlsx(doc)

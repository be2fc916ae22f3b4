"""Rendered samples, once per test process, also written to test-artifacts/documents/ to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from liandong import documents
from liandong.documents.fonts import CJKFontNotFound, find_fonts
from tests.documents.samples import BULLETIN, ORDER

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


def _keep(name: str, data: bytes) -> bytes:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)
    return data


@pytest.fixture(scope="session")
def cjk_fonts() -> None:
    try:
        find_fonts()
    except CJKFontNotFound as exc:  # pragma: no cover - CI installs fonts-noto-cjk
        pytest.skip(f"no Chinese font for the PDF here (apt-get install fonts-noto-cjk): {exc}")


@pytest.fixture(scope="session")
def order_docx() -> bytes:
    return _keep("order.docx", documents.supervision_order_docx(ORDER))


@pytest.fixture(scope="session")
def bulletin_docx() -> bytes:
    return _keep("bulletin.docx", documents.bulletin_docx(BULLETIN))


@pytest.fixture(scope="session")
def order_pdf(cjk_fonts: None) -> bytes:
    return _keep("order.pdf", documents.supervision_order_pdf(ORDER))


@pytest.fixture(scope="session")
def bulletin_pdf(cjk_fonts: None) -> bytes:
    return _keep("bulletin.pdf", documents.bulletin_pdf(BULLETIN))


@pytest.fixture(scope="session")
def bulletin_xlsx() -> bytes:
    return _keep("bulletin.xlsx", documents.bulletin_xlsx(BULLETIN))

"""The 督办通知 and the 月度通报 served as documents through the screens and the command."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.core.management import call_command
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from liandong import clock
from liandong.accounts.models import Role
from liandong.assessment.actions import do_draft_bulletin
from liandong.supervision.actions import do_issue_supervision_order
from tests.factories import dispatched, instruction_of, office_user, unit, unit_user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_order_as_word_and_pdf_for_the_office_and_the_units_leader(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched(level=1)
    order = do_issue_supervision_order(
        actor=office_user(Role.SUPERVISOR),
        unit=unit("housing"),
        instructions=[instruction_of(incident, "housing")],
        problems="签收严重超时。",
        measures="立即处置并书面说明。",
        answer_due_at=clock.now() + timedelta(days=2),
        contact="李督办 024-12345678",
    )
    word = _client(office_user()).get(f"/console/supervision/{order.pk}/document.docx")
    assert word.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert order.number in text and "区房产局" in text and "签收严重超时" in text
    pdf = _client(unit_user("housing", Role.UNIT_LEADER)).get(
        f"/unit/supervision/{order.pk}/document.pdf"
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    outsider = _client(unit_user("ecology", Role.UNIT_LEADER))
    assert outsider.get(f"/unit/supervision/{order.pk}/document.pdf").status_code == 404


def test_the_bulletin_command_writes_word_and_excel(db, frozen_at, tmp_path):
    frozen_at("2026-12-02T09:00:00+08:00")
    call_command("bulletin", "--month", "2026-11", "--out", str(tmp_path))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["2026年11月通报（草稿）.docx", "2026年11月通报（草稿）.xlsx"]
    text = "\n".join(p.text for p in Document(str(tmp_path / files[0])).paragraphs)
    assert "2026年11月" in text
    assert load_workbook(tmp_path / files[1]).sheetnames[0] == "总体情况"
    bulletin = do_draft_bulletin(month=date(2026, 11, 1))
    served = _client(office_user()).get(f"/console/bulletins/{bulletin.pk}/document.xlsx")
    assert served.status_code == 200

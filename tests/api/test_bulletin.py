"""The monthly bulletin: drafted once by the worker on the 1st, edited by the office, published
with its number, and never changed after; its figures are the statistics of the month."""

from __future__ import annotations

from datetime import date

import pytest

from liandong import clock
from liandong.assessment.actions import (
    do_draft_bulletin,
    do_edit_bulletin,
    do_publish_bulletin,
    do_refresh_bulletin,
    draft_last_month,
)
from liandong.assessment.models import Bulletin
from liandong.common.errors import IllegalTransition
from liandong.incidents import actions
from liandong.worker.loop import run_once
from tests.factories import dispatched, instruction_of, office_user, unit_user


def test_the_worker_drafts_last_months_bulletin_once_on_the_first(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched(level=1)  # housing primary, urban-constr cooperating
    actions.do_sign_instruction(
        actor=unit_user("housing"), instruction=instruction_of(incident, "housing")
    )
    run_once()
    assert not Bulletin.objects.filter(month=date(2026, 11, 1)).exists()
    clock.advance(clock.now().replace(day=30, hour=23, minute=59) - clock.now())
    frozen = clock.now()
    clock.advance((frozen.replace(month=12, day=1, hour=0, minute=1)) - frozen)
    run_once()
    run_once()
    assert draft_last_month() == 0
    bulletin = Bulletin.objects.get(month=date(2026, 11, 1))
    assert bulletin.state == "draft" and "2026年11月" in bulletin.title
    data = bulletin.data
    assert {t["key"]: t["value"] for t in data["totals"]}["instructions"] == 2
    ranking = {r["unit"]: r for r in data["ranking"]}
    assert ranking["区房产局"]["rank"] == 1 and ranking["区房产局"]["sign_rate"] == 100.0
    assert ranking["区城市建设局"]["sign_rate"] == 0.0  # never signed: overdue at the month's end
    assert {u["unit"] for u in data["overdue_units"]} >= {"区城市建设局"}


def test_the_office_edits_and_publishes_and_then_nothing_changes(db, frozen_at):
    frozen_at("2026-12-02T09:00:00+08:00")
    office = office_user()
    bulletin = do_draft_bulletin(month=date(2026, 11, 1), actor=office)
    assert do_draft_bulletin(month=date(2026, 11, 15)).pk == bulletin.pk
    do_edit_bulletin(
        actor=office,
        bulletin=bulletin,
        narrative="各单位要进一步压实责任。",
        typical_cases=["案例一", " "],
    )
    do_refresh_bulletin(actor=office, bulletin=bulletin)
    published = do_publish_bulletin(actor=office, bulletin=bulletin)
    assert published.number == "于联通〔2026〕1号" and published.typical_cases == ["案例一"]
    for change in (
        lambda: do_edit_bulletin(
            actor=office, bulletin=published, narrative="改", typical_cases=[]
        ),
        lambda: do_refresh_bulletin(actor=office, bulletin=published),
        lambda: do_publish_bulletin(actor=office, bulletin=published),
    ):
        with pytest.raises(IllegalTransition):
            change()
    assert Bulletin.objects.get(pk=bulletin.pk).narrative == "各单位要进一步压实责任。"


def test_the_office_is_offered_the_months_supervised_and_reopened_cases(db, frozen_at):
    from datetime import timedelta

    from liandong.assessment.selectors import case_candidates
    from liandong.supervision.actions import do_issue_supervision_order

    frozen_at("2026-11-10T09:00:00+08:00")
    office = office_user()
    supervised = dispatched(level=1)
    quiet = dispatched(level=2)
    order = do_issue_supervision_order(
        actor=office_user("supervisor"),
        unit=instruction_of(supervised, "housing").unit,
        instructions=[instruction_of(supervised, "housing")],
        problems="逾期未签收",
        measures="立即处置",
        answer_due_at=clock.now() + timedelta(days=2),
        contact="督办科",
    )
    candidates = case_candidates(date(2026, 11, 1))
    assert [c.incident_id for c in candidates] == [supervised.incident_id]
    assert candidates[0].why == "督办" and order.number in candidates[0].text
    assert "11月10日" in candidates[0].text and "区房产局" in candidates[0].text
    assert quiet.incident_id not in {c.incident_id for c in case_candidates(date(2026, 11, 1))}
    assert case_candidates(date(2026, 10, 1)) == []
    assert office  # the dispatcher sees them on the bulletin page (tests/browser/test_bulletin.py)

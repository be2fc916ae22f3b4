"""Statistics on a small history built through the real actions, every figure counted by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liandong import clock
from liandong.incidents import actions
from liandong.incidents.models import Instruction
from liandong.stats.services import statistics
from liandong.units.models import Category
from tests.factories import dispatched, instruction_of, new_incident, office_user, unit, unit_user

NOV = datetime.fromisoformat("2026-11-01T00:00:00+08:00")
DEC = datetime.fromisoformat("2026-12-01T00:00:00+08:00")


def at(iso: str) -> None:
    clock.advance(datetime.fromisoformat(iso) - clock.now())


def fresh(inst: Instruction) -> Instruction:
    return Instruction.objects.get(pk=inst.pk)


@pytest.fixture
def history(db, frozen_at):
    frozen_at("2026-10-31T10:00:00+08:00")
    dispatched()  # last month: never counted
    office = office_user()
    housing, coop, ecology = unit_user("housing"), unit_user("urban-constr"), unit_user("ecology")

    at("2026-11-30T09:00:00+08:00")  # 1: heating leak, housing primary, urban-constr cooperating
    one = dispatched(level=2, by=office)
    h1, u1 = instruction_of(one, "housing"), instruction_of(one, "urban-constr")
    actions.do_urge_instruction(actor=office, instruction=u1, note="请尽快")
    at("2026-11-30T09:20:00+08:00")
    actions.do_sign_instruction(actor=housing, instruction=h1)
    at("2026-11-30T09:40:00+08:00")  # 40 minutes: late for the 30-minute sign
    actions.do_sign_instruction(actor=coop, instruction=fresh(u1))
    at("2026-11-30T10:00:00+08:00")
    actions.do_record_caller_contact(actor=housing, instruction=fresh(h1), reached=True)
    actions.do_give_feedback(actor=housing, instruction=fresh(h1), text="已到场")
    at("2026-11-30T11:00:00+08:00")
    actions.do_report_result(
        actor=housing, instruction=fresh(h1), outcome="resolved", text="已修复"
    )

    at("2026-11-30T12:00:00+08:00")  # 2: noise, ecology (tier 1) alone, level 1
    two = dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
        by=office,
    )
    e2 = instruction_of(two, "ecology")
    at("2026-11-30T12:05:00+08:00")
    actions.do_sign_instruction(actor=ecology, instruction=e2)
    at("2026-11-30T12:08:00+08:00")
    actions.do_record_caller_contact(actor=ecology, instruction=fresh(e2), reached=True)
    at("2026-11-30T12:30:00+08:00")
    actions.do_give_feedback(actor=ecology, instruction=fresh(e2), text="已到场")
    at("2026-11-30T13:00:00+08:00")
    actions.do_report_result(
        actor=ecology, instruction=fresh(e2), outcome="resolved", text="已制止"
    )
    actions.do_accept_result(actor=office, instruction=fresh(e2))
    actions.do_close_incident(actor=office, incident=two, outcome="已处置")

    at("2026-11-30T14:00:00+08:00")  # 3: housing hands it back, the office gives it to ecology
    three = new_incident(by=office)
    actions.do_dispatch_incident(
        actor=office,
        incident=three,
        incident_class="source_diversion",
        level=2,
        category=Category.objects.get(code="noise"),
        primary_unit=unit("housing"),
    )
    h3 = instruction_of(three, "housing")
    request = actions.do_request_return(actor=housing, instruction=h3, reason="非本单位职责")
    actions.do_decide_return_request(
        actor=office, request=request, reassign_to=unit("ecology"), note="改派生态环境分局"
    )

    at("2026-12-01T09:00:00+08:00")  # next month: the call-back reopens incident 2
    actions.do_record_call_back(
        actor=office, incident=two, satisfaction="unsatisfied", note="噪声仍在", reopen=True
    )
    at("2026-12-05T12:00:00+08:00")


def by(result: dict, key: str) -> dict:
    return next(r for r in result["rows"] if r["key"] == key)


def test_each_units_figures_as_counted_by_hand(history):
    result = statistics(start=NOV, end=DEC, by="unit")
    assert {r["key"] for r in result["rows"]} == {"housing", "urban-constr", "ecology"}

    housing = by(result, "housing")
    assert (housing["instructions"], housing["incidents"]) == (2, 2)
    assert housing["sign_rate"] == 100.0  # the returned one's clocks stopped: not counted
    assert housing["feedback_rate"] == housing["result_rate"] == 100.0
    assert (housing["returns_asked"], housing["returns_granted"]) == (1, 1)
    assert housing["sign_minutes"] == 20.0 and housing["result_minutes"] == 120.0
    assert housing["label"] == "区房产局"

    coop = by(result, "urban-constr")
    assert coop["instructions"] == 1
    assert (coop["sign_rate"], coop["sign_overdue"]) == (0.0, 1)
    assert (coop["feedback_rate"], coop["feedback_overdue"]) == (0.0, 1)  # never fed back
    assert coop["result_overdue"] == 1  # three working days from 11-30 ended 12-03 24:00
    assert coop["urges_office"] == 1 and coop["urges_city"] == 0
    assert coop["sign_minutes"] == 40.0

    ecology = by(result, "ecology")
    assert ecology["instructions"] == 2  # the reopened one was dispatched in December
    assert ecology["sign_rate"] == 50.0  # the reassigned one is still not signed
    assert ecology["contact_rate"] == 100.0 and ecology["sign_minutes"] == 5.0
    assert (ecology["satisfaction_rate"], ecology["reopened"]) == (0.0, 1)

    total = result["total"]
    assert total["instructions"] == 5 and total["incidents"] == 3
    assert total["sign_rate"] == 50.0  # in time: housing 1, ecology 1; late: urban-constr, ecology
    assert total["returns_asked"] == 1 and total["reopened"] == 1


def test_other_groupings_and_the_definitions(history):
    tiers = statistics(start=NOV, end=DEC, by="tier")
    assert {r["label"]: r["instructions"] for r in tiers["rows"]} == {
        "一级联动单位": 2,
        "二级联动单位": 3,
    }
    levels = statistics(start=NOV, end=DEC, by="level")
    assert {r["label"]: r["instructions"] for r in levels["rows"]} == {
        "一级指令（紧急类）": 1,
        "二级指令（非紧急类）": 4,
    }
    categories = statistics(start=NOV, end=DEC, by="category")
    assert {r["key"]: r["instructions"] for r in categories["rows"]} == {
        "heating-leak": 2,
        "noise": 3,
    }
    assert all(f["definition"] for f in categories["figures"])
    with pytest.raises(ValueError):
        statistics(start=NOV, end=DEC, by="weather")


def test_a_period_with_nothing_has_no_rows_and_empty_rates(history):
    empty = statistics(start=DEC + timedelta(days=40), end=DEC + timedelta(days=70), by="unit")
    assert empty["rows"] == [] and empty["total"]["sign_rate"] is None


def test_the_api_the_xlsx_and_the_command_give_the_same_numbers(history, tmp_path):
    import io
    import json

    from django.core.management import call_command
    from openpyxl import load_workbook

    from tests.factories import Api

    office = Api(office_user())
    body = office.get("/stats", **{"from": "2026-11-01", "to": "2026-11-30", "by": "unit"}).json()
    assert by(body, "ecology")["sign_rate"] == 50.0
    assert Api(unit_user("housing")).get("/stats").status_code == 403
    bad = office.get("/stats", **{"from": "2026-13-01", "by": "weather"})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"from", "by"}

    xlsx = office.client.get(
        "/api/v1/stats/xlsx", {"from": "2026-11-01", "to": "2026-11-30", "by": "unit"}
    )
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = {r[0]: r for r in book["统计"].iter_rows(min_row=3, values_only=True)}
    header = next(book["统计"].iter_rows(min_row=2, max_row=2, values_only=True))
    column = header.index("签收及时率（%）")
    assert rows["区生态环境分局"][column] == 50.0 and rows["合计"][column] == 50.0
    assert book["指标说明"]["A2"].value == "警情数"

    out = tmp_path / "stats.json"
    call_command(
        "stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "unit", "--out", str(out)
    )
    assert json.loads(out.read_text(encoding="utf-8"))["rows"] == body["rows"]
    call_command(
        "stats",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--by",
        "tier",
        "--format",
        "xlsx",
        "--out",
        str(tmp_path / "s.xlsx"),
    )
    assert load_workbook(tmp_path / "s.xlsx")["统计"]["A1"].value.startswith("统计期间")

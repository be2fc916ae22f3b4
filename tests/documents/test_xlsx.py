"""The bulletin workbook, read back with openpyxl."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from liandong.documents.xlsx_render import cell_value
from tests.documents.samples import BULLETIN


def test_figures_become_numbers() -> None:
    assert cell_value("98.5%") == (pytest.approx(0.985), "0.0%")
    assert cell_value("1286") == (1286, None)
    assert cell_value("+12") == (12, "+0;-0;0")
    assert cell_value("-3.5个百分点") == ("-3.5个百分点", None)
    assert cell_value("—") == ("—", None)


def test_workbook_sheets_and_values(bulletin_xlsx: bytes) -> None:
    wb = load_workbook(io.BytesIO(bulletin_xlsx))
    assert wb.sheetnames == ["总体情况", "考核排名", "超时未办", "督办情况", "典型案例"]

    totals = wb["总体情况"]
    assert [c.value for c in totals[1]] == ["指标", "本月", "较上月"]
    assert totals["A1"].font.b
    assert [totals.cell(row=2, column=n).value for n in (1, 2, 3)] == [
        "接收非警务警情（件）",
        1286,
        112,
    ]
    assert totals["B4"].value == pytest.approx(0.976) and totals["B4"].number_format == "0.0%"
    assert totals["C4"].value == "+1.2个百分点"
    assert totals.column_dimensions["A"].width == 28

    ranking = wb["考核排名"]
    rows = [[c.value for c in r] for r in ranking.iter_rows()]
    titles = [r[0] for r in rows if isinstance(r[0], str) and r[0].endswith("考核排名")]
    assert titles == [f"2026年11月{t}联动单位考核排名" for t in ("一级", "二级", "三级")]
    first = rows[2]
    assert first[:3] == [1, "迎宾路街道", pytest.approx(97.3)]
    assert first[3] == pytest.approx(0.993) and first[6] == pytest.approx(0.985)
    assert first[7:10] == [0, 1, 0]
    house = next(r for r in rows if r[1] == "区房产局")
    assert house[6] == "—"  # not applicable stays text
    assert ranking.cell(row=2, column=1).font.b

    overdue = [[c.value for c in r] for r in wb["超时未办"].iter_rows(min_row=2)]
    assert overdue[0] == ["区房产局", 12]
    orders = [[c.value for c in r] for r in wb["督办情况"].iter_rows(min_row=2)]
    assert orders[0] == [1, BULLETIN.supervision_orders[0]] and len(orders) == 4
    cases = [[c.value for c in r] for r in wb["典型案例"].iter_rows(min_row=2)]
    assert [c[1] for c in cases] == list(BULLETIN.typical_cases)

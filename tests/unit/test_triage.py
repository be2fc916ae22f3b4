"""The triage model, rules, proposal and scoring without a database: a small labelled set is
learnt, proposals carry their reasons, rules raise the class and level, the catalogue's units
follow the class, and files are read and scored as `liandong triage-eval` does."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from liandong.triage import evaluation, rules
from liandong.triage.learn import Example, Model, normalise, train
from liandong.triage.proposal import CatalogueEntry, StreetAnswer, decide, propose

HEAT = "heating-leak"
NOISE = "noise"
WAGES = "unpaid-wages"

EXAMPLES = [
    Example("楼道里暖气管子漏水了，热水一直往下淌", "", HEAT, "source_diversion", 2),
    Example("供热管线阀门破裂，热水喷出来，楼下都淹了", "", HEAT, "linked_disposal", 1),
    Example("家里暖气片漏水，地板都泡了", "", HEAT, "source_diversion", 2),
    Example("单元门口供热井冒热气，管道漏水", "", HEAT, "source_diversion", 2),
    Example("楼上装修电钻声音太大，中午休息不了", "", NOISE, "source_diversion", 2),
    Example("半夜广场舞音响声音太吵，睡不着觉", "", NOISE, "source_diversion", 2),
    Example("工地夜间施工噪音扰民，凌晨还在干活", "", NOISE, "source_diversion", 2),
    Example("KTV音响声音贼大，吵得人没法睡", "", NOISE, "source_diversion", 2),
    Example("包工头拖欠工资三个月不给，农民工要钱", "", WAGES, "source_diversion", 2),
    Example("工地老板欠薪跑路了，二十多个工人讨薪", "", WAGES, "linked_disposal", 1),
    Example("干了半年活一分钱工钱没拿到", "", WAGES, "source_diversion", 2),
    Example("装修队老板拖欠工人工资不给结账", "", WAGES, "source_diversion", 2),
]

CATALOGUE = {
    HEAT: CatalogueEntry(HEAT, "供热管线漏水", "housing", False, ("urban-constr",), True),
    NOISE: CatalogueEntry(NOISE, "噪声扰民", "ecology", False, ("enforcement",), True),
    WAGES: CatalogueEntry(WAGES, "农民工欠薪", "hr-social", False, ("police",), False),
}
STREET = StreetAnswer("st-lingxi", "陵西街道", "地址中的“陵西街道”")
NOWHERE = StreetAnswer(None, None, "无法确定属地街道：地址未匹配到地名库")


@pytest.fixture(scope="module")
def model() -> Model:
    return train(EXAMPLES)


def test_normalise_folds_width_case_and_boilerplate():
    assert normalise("报警人称：ＫＴＶ  声音大") == ":ktv 声音大"


def test_the_category_comes_with_the_three_best_and_the_words_that_weighed(model):
    p = propose(model, Example("暖气管道漏水，热水流了一地"), CATALOGUE, STREET, version="t")
    assert p.category == HEAT and [c for c, _, _ in p.categories][0] == HEAT
    assert len(p.categories) == 3 and p.categories[0][2] >= p.categories[1][2]
    assert any("漏水" in r or "暖气" in r for r in p.category_reasons)
    assert p.model_version == "t"


def test_regional_wording_and_typos_still_land(model):
    p = propose(model, Example("楼上半夜整得贼吵，音响声老大了"), CATALOGUE, NOWHERE)
    assert p.category == NOISE


def test_source_diversion_sends_the_one_responsible_unit(model):
    p = propose(model, Example("家里暖气片漏水"), CATALOGUE, STREET)
    assert p.incident_class == "source_diversion"
    assert p.primary_unit == "housing" and p.cooperating_units == []
    assert "只派主责单位" in "".join(p.unit_reasons)


def test_linked_disposal_sends_the_primary_the_cooperating_and_the_street(model):
    p = propose(model, Example("供热管线阀门破裂，热水喷出来，楼下都淹了"), CATALOGUE, STREET)
    assert p.incident_class == "linked_disposal"
    assert p.primary_unit == "housing" and p.cooperating_units == ["urban-constr", "st-lingxi"]


def test_escalation_cues_decide_when_the_model_is_unsure_and_explain_when_it_agrees():
    cues = ("现场发生肢体冲突（“打起来”）",)
    assert decide("source_diversion", 0.52, ["漏水"], raised="linked_disposal", cues=cues) == (
        "linked_disposal",
        pytest.approx(0.48),
        [*cues, "模型把握不大（52%），按升级情形"],
    )
    # a sure model keeps its answer
    label, _, reasons = decide(
        "source_diversion", 0.9, ["漏水"], raised="linked_disposal", cues=cues
    )
    assert label == "source_diversion" and reasons == ["模型依据“漏水”"]
    # agreeing cues come first among the reasons
    label, _, reasons = decide("1", 0.8, ["喷出"], raised="1", cues=cues)
    assert label == "1" and reasons == [*cues, "模型依据“喷出”"]


def test_the_citys_hints_are_features_and_reasons(model):
    p = propose(model, Example("包工头拖欠工资", police=True, urgent=True), CATALOGUE, NOWHERE)
    outcome = rules.escalation("包工头拖欠工资", police=True, urgent=True)
    assert "市平台已先期处警（警方已派出）" in outcome.linked_reasons
    assert "市平台标为紧急" in outcome.urgent_reasons
    if p.incident_class == "linked_disposal":
        assert "市平台已先期处警（警方已派出）" in p.class_reasons
        assert p.cooperating_units == ["police"]  # no street joins for this category


@pytest.mark.parametrize(
    ("text", "linked", "urgent"),
    [
        ("闻到很大的煤气味", True, True),
        ("变压器冒黑烟", True, True),
        ("路面塌陷了一个大坑", True, True),
        ("电梯里有人被困", True, True),
        ("邻居情绪激动扬言要跳楼", True, True),
        ("路灯不亮了", False, False),
    ],
)
def test_escalation_cues(text, linked, urgent):
    outcome = rules.escalation(text, police=False, urgent=False)
    assert bool(outcome.linked_reasons) is linked and bool(outcome.urgent_reasons) is urgent


def test_a_model_survives_its_bytes(model):
    again = Model.from_bytes(model.to_bytes())
    text = Example("工地欠薪")
    assert propose(again, text, CATALOGUE, NOWHERE) == propose(model, text, CATALOGUE, NOWHERE)
    with pytest.raises(Exception):  # noqa: B017 - anything but a model is refused
        Model.from_bytes(b"not a model")


def _write_csv(path: Path, rows, delimiter=","):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerows(rows)


ROWS = [
    ["content", "address", "category", "class", "level"],
    ["暖气管子漏水", "陵西街道", HEAT, "source_diversion", "2"],
    ["半夜施工噪音", "", NOISE, "source_diversion", "2"],
    ["工地欠薪，工人堵门", "", WAGES, "linked_disposal", "1"],
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx"])
def test_labelled_files_are_read_in_three_formats(tmp_path, suffix):
    path = tmp_path / f"set{suffix}"
    if suffix == ".xlsx":
        book = Workbook()
        for row in ROWS:
            book.active.append(row)
        book.save(path)
    else:
        _write_csv(path, ROWS, "\t" if suffix == ".tsv" else ",")
    rows = evaluation.read_table(path)
    assert [r["category"] for r in rows] == [HEAT, NOISE, WAGES]


def test_a_file_without_content_or_address_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    _write_csv(path, [["text", "category"], ["x", HEAT]])
    with pytest.raises(evaluation.BadFile, match="content"):
        evaluation.read_table(path)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    with pytest.raises(evaluation.BadFile):
        evaluation.read_table(junk)


def test_scores_and_confusions(model):
    rows = [dict(zip(ROWS[0], r, strict=True)) for r in ROWS[1:]]
    rows.append({"content": "暖气漏水", "address": ""})  # unlabelled: not scored
    proposals = [propose(model, Example(r["content"]), CATALOGUE, NOWHERE) for r in rows]
    scores, confusion = evaluation.score(rows, proposals)
    by_name = {s.name: s for s in scores}
    assert by_name["category"].labelled == 3 and by_name["category"].top3 == 3
    assert by_name["level"].labelled == 3
    assert "top-1" in by_name["category"].line() and "top-3" in by_name["category"].line()
    assert "top-3 恒为100%" in by_name["class"].line()
    assert evaluation.confusion_lines(confusion["category"])[-1].startswith("  （判对")
    row = evaluation.prediction_row(proposals[2])
    assert len(row) == len(evaluation.PREDICTION_COLUMNS) and row[2].count(".") == 1

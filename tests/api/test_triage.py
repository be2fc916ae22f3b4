"""Triage proposals through the real interfaces: the API for a text and for an incident, the
office's page, the record of each dispatch against its proposal, retraining from the office's
decisions with versions and rollback, the worker's schedule and `liandong triage-eval`."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.test import Client

from liandong.accounts.models import Role
from liandong.incidents import actions
from liandong.triage.models import ModelVersion, TriageRecord
from liandong.triage.selectors import active_model, propose_text
from liandong.triage.services import do_retrain_if_due, do_roll_back_model, do_train_model
from liandong.units.models import Category
from liandong.worker.loop import write_triage_records
from tests.factories import UserFactory, new_incident, office_user, unit, unit_user

pytestmark = pytest.mark.django_db

LEAK = "楼道里暖气管子漏水了，热水一直往下淌，楼梯上全是水"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_text_gets_a_whole_proposal_with_its_reasons():
    response = _client(office_user()).post(
        "/api/v1/triage/propose",
        {"content": LEAK, "address": "于洪区陵西街道怒江北街188号", "caller_phone": "13800000000"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == "heating-leak"
    assert len(body["categories"]) == 3 and body["categories"][0]["name"] == "供热管线漏水"
    assert 0 < body["confidence"] <= 1 and body["category_reasons"]
    assert body["incident_class"] in ("source_diversion", "linked_disposal")
    assert body["class_reasons"] and body["level"] in (1, 2) and body["level_reasons"]
    assert body["primary_unit"]["code"] == "housing"
    assert body["street"] == {"code": "st-lingxi", "name": "陵西街道"}
    assert "陵西" in body["street_reason"] and body["model_version"] == "内置"
    assert body["repeat_candidates"] == []


def test_where_neither_text_nor_map_decides_the_street_the_proposal_says_so():
    p = propose_text(content=LEAK, address="某处")
    assert p.street.code is None and p.street.reason.startswith("无法确定属地街道")


def test_units_and_bad_input_are_refused():
    body = {"content": LEAK, "address": ""}
    unit_client = _client(unit_user("housing"))
    assert (
        unit_client.post(
            "/api/v1/triage/propose", body, content_type="application/json"
        ).status_code
        == 403
    )
    office = _client(office_user())
    empty = office.post(
        "/api/v1/triage/propose", {"content": "  "}, content_type="application/json"
    )
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"] == "content"


def test_the_office_page_shows_the_proposal_and_prefills_the_form():
    dispatcher = office_user()
    incident = new_incident(by=dispatcher, content="闻到很大的煤气味，整个单元都是，有人头晕")
    page = _client(dispatcher).get(f"/console/incidents/{incident.incident_id}/")
    html = page.content.decode()
    assert 'id="triage-proposal"' in html and "研判建议" in html and "依据" in html
    api = _client(dispatcher).get(f"/api/v1/incidents/{incident.incident_id}/triage")
    assert api.status_code == 200 and api.json()["category"] == "utility-hazard"
    assert api.json()["incident_class"] == "linked_disposal" and api.json()["level"] == 1
    assert 'value="linked_disposal" checked' in html


def test_each_dispatch_is_recorded_against_its_proposal():
    dispatcher = office_user()
    incident = new_incident(by=dispatcher, content=LEAK)
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=incident,
        incident_class="source_diversion",
        level=2,
        category=Category.objects.get(code="noise"),  # a correction
        primary_unit=unit("ecology"),
        cooperating_units=[],
    )
    assert write_triage_records() == 1  # the worker writes it (ADR 23)
    record = TriageRecord.objects.get(incident=incident)
    assert record.proposed_category == "heating-leak" and record.decided_category == "noise"
    assert record.corrected and record.decided_by == dispatcher and record.model_version == "内置"


def _confirm(dispatcher, content: str, category: str) -> None:
    incident = new_incident(by=dispatcher, content=content)
    entry = Category.objects.get(code=category)
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=incident,
        incident_class="source_diversion",
        level=2,
        category=entry,
        primary_unit=entry.primary_unit or unit("st-lingxi"),
        cooperating_units=[],
    )
    write_triage_records()  # the worker's step writes the dispatch's record (ADR 23)


def test_retraining_learns_the_offices_decisions_and_rolls_back():
    dispatcher = office_user()
    odd = "咕噜兽又出现了"
    assert propose_text(content=odd).category != "religion"
    for n in range(6):
        _confirm(dispatcher, f"{odd}，第{n + 1}回", "religion")
    first = do_train_model(trained_by="测试")
    assert first.number == 1 and first.active and first.confirmed_examples == 6
    assert first.metrics["category"]["top1"] > 0.7 and first.metrics["category"]["labelled"] > 100
    assert propose_text(content=odd).category == "religion"
    assert propose_text(content=odd).model_version == "第1版"
    second = do_train_model(trained_by="测试")
    assert second.number == 2 and ModelVersion.objects.get(number=1).active is False
    assert do_roll_back_model().number == 1 and active_model()[1] == "第1版"
    assert do_roll_back_model() is None and active_model()[1] == "内置"
    from liandong.common.errors import InvalidInput

    with pytest.raises(InvalidInput):
        do_roll_back_model()
    assert ModelVersion.objects.count() == 2  # every version is kept


def test_the_worker_retrains_on_schedule_when_there_is_enough_new(settings):
    settings.LIANDONG_TRIAGE_RETRAIN_DAYS = 7
    settings.LIANDONG_TRIAGE_RETRAIN_MIN = 2
    dispatcher = office_user()
    assert do_retrain_if_due() == 0  # nothing confirmed yet
    _confirm(dispatcher, LEAK, "heating-leak")
    _confirm(dispatcher, "半夜广场舞音响太吵", "noise")
    assert do_retrain_if_due() == 1 and ModelVersion.objects.count() == 1
    assert do_retrain_if_due() == 0  # not due again for a week


def test_a_worker_round_never_reads_a_stored_model(settings):
    """A stored model is megabytes: the rounds (back to back under a storm) ask whether training
    is due at most every few minutes, and never read a model to find out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liandong.worker import loop

    settings.LIANDONG_TRIAGE_RETRAIN_DAYS = 7
    do_train_model(trained_by="测试")
    (retrain,) = [t for t in loop.ROUND_TASKS if t.__name__ == "retrain_triage_model"]
    assert isinstance(retrain, loop.Paced)
    retrain = loop.Paced(retrain.task, retrain.seconds)  # as a fresh worker's rounds hold it
    with CaptureQueriesContext(connection) as first:
        assert retrain() == 0  # trained today: not due
    assert first.captured_queries
    assert not any("blob" in q["sql"] for q in first.captured_queries)
    with CaptureQueriesContext(connection) as second:
        assert retrain() == 0
    assert not second.captured_queries  # asked again only after RETRAIN_CHECK_EVERY_SECONDS


def test_two_workers_never_train_at_once(settings):
    """Training takes tens of seconds: while one worker holds the trainer's lock, another whose
    round finds retraining due skips it and goes on (PostgreSQL; SQLite has one worker)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the trainer's lock is a PostgreSQL advisory lock")
    import psycopg

    from liandong.triage.services import TRAINER_LOCK

    settings.LIANDONG_TRIAGE_RETRAIN_DAYS = 7
    settings.LIANDONG_TRIAGE_RETRAIN_MIN = 2
    dispatcher = office_user()
    _confirm(dispatcher, LEAK, "heating-leak")
    _confirm(dispatcher, "半夜广场舞音响太吵", "noise")
    params = dict(connection.get_connection_params())
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(%s)", [TRAINER_LOCK])
        assert do_retrain_if_due() == 0 and ModelVersion.objects.count() == 0
        other.execute("COMMIT")
    assert do_retrain_if_due() == 1 and ModelVersion.objects.count() == 1


def test_the_system_administrator_trains_and_rolls_back_in_the_admin():
    admin = _client(UserFactory(role=Role.ADMIN, is_staff=True))
    assert admin.get("/admin/triage/modelversion/").status_code == 200
    admin.post("/admin/triage/modelversion/train/")
    assert ModelVersion.objects.filter(active=True).count() == 1
    admin.post("/admin/triage/modelversion/rollback/")
    assert not ModelVersion.objects.filter(active=True).exists()
    auditor = _client(UserFactory(role=Role.AUDITOR, is_staff=True))
    assert auditor.post("/admin/triage/modelversion/train/").status_code == 403


def test_triage_eval_scores_a_file_and_writes_predictions_in_order(tmp_path, capsys):
    path = tmp_path / "set.csv"
    rows = [
        ["content", "address", "category", "class", "level"],
        [LEAK, "陵西街道", "heating-leak", "source_diversion", "2"],
        ["包工头拖欠农民工工资三个月了", "", "unpaid-wages", "source_diversion", "2"],
        ["闻到很大的煤气味", "南阳湖街道", "utility-hazard", "linked_disposal", "1"],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    out = tmp_path / "predictions.csv"
    call_command("triage_eval", str(path), "--predictions", str(out))
    printed = capsys.readouterr().out
    assert "category: top-1" in printed and "top-3" in printed and "class: top-1" in printed
    with out.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [r["category"] for r in written][:1] == ["heating-leak"]
    assert len(written) == 3 and written[2]["street"] == "st-nanyanghu"
    assert set(written[0]) == {
        "category",
        "category_top3",
        "confidence",
        "class",
        "level",
        "primary_unit",
        "cooperating_units",
        "street",
    }
    assert len(written[0]["category_top3"].split(";")) == 3

"""The tamper-evident trail on a real database (SQLite here, PostgreSQL in CI's second run):
every event gets its entry in the same transaction, the sealer chains them, and `liandong audit
verify` exits non-zero naming the first thing edited, deleted or swapped directly in the database.
On PostgreSQL the trail itself refuses UPDATE and DELETE."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client

from liandong.audit.kinds import AuditKind
from liandong.audit.models import AuditEntry, AuditLink
from liandong.audit.services import do_seal
from liandong.incidents.models import Event
from tests.factories import dispatched, office_user

pytestmark = pytest.mark.django_db


def _verify(capsys) -> tuple[int, str]:
    try:
        call_command("audit", "verify")
    except SystemExit as exc:
        return int(exc.code or 0), capsys.readouterr().err
    return 0, capsys.readouterr().out


@pytest.fixture
def history():
    dispatched()
    dispatched()
    do_seal()
    events = list(Event.objects.order_by("id"))
    assert len(events) >= 4
    return events


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_every_event_has_its_entry_and_an_untouched_trail_verifies(history, capsys):
    entries = AuditEntry.objects.filter(kind=AuditKind.EVENT)
    assert sorted(entries.values_list("event_id", flat=True)) == [e.pk for e in history]
    assert AuditLink.objects.count() == AuditEntry.objects.count()
    code, out = _verify(capsys)
    assert code == 0, out
    assert "审计链完整" in out and f"已核对{len(history)}条业务事件" in out
    # The verification itself is recorded.
    assert AuditEntry.objects.filter(kind=AuditKind.AUDIT_VERIFIED).count() == 1


#: The events of a person's actions (an entry each) and of a sweep of the watch (one entry).
RECORDED = pytest.mark.parametrize("recorded", ["history", "swept"])


@RECORDED
def test_an_event_edited_in_the_database_is_found(recorded, request, capsys):
    victim = request.getfixturevalue(recorded)[2]
    _sql("UPDATE incidents_event SET summary = %s WHERE id = %s", ["无事发生", victim.pk])
    code, err = _verify(capsys)
    assert code == 1
    assert f"事件#{victim.pk}" in err and "被修改" in err


@RECORDED
def test_an_event_deleted_from_the_database_is_found(recorded, request, capsys):
    victim = request.getfixturevalue(recorded)[-1]
    _sql("DELETE FROM incidents_event WHERE id = %s", [victim.pk])
    code, err = _verify(capsys)
    assert code == 1
    assert f"事件#{victim.pk}" in err and "删除" in err


def test_two_events_swapped_in_the_database_are_found(history, capsys):
    first, second = history[1], history[2]
    _sql(
        "UPDATE incidents_event SET occurred_at = %s WHERE id = %s", [second.occurred_at, first.pk]
    )
    _sql(
        "UPDATE incidents_event SET occurred_at = %s WHERE id = %s", [first.occurred_at, second.pk]
    )
    code, err = _verify(capsys)
    assert code == 1
    assert f"事件#{first.pk}" in err


def test_an_event_inserted_behind_the_trail_is_found(history, capsys):
    original = history[0]
    _sql(
        "INSERT INTO incidents_event (incident_id, kind, summary, actor_label, occurred_at,"
        " before, after, data) VALUES (%s, 'closed', '伪造', '系统', %s, '{}', '{}', '{}')",
        [original.incident_id, original.occurred_at],
    )
    code, err = _verify(capsys)
    assert code == 1
    assert "没有对应的审计记录" in err


def _tamper_trail(statement: str, params: list) -> None:
    """A database administrator going behind the application's back: on PostgreSQL the
    trigger must first be switched off (the application's own writes cannot)."""
    if connection.vendor == "postgresql":
        _sql("ALTER TABLE audit_auditentry DISABLE TRIGGER USER", [])
        _sql("ALTER TABLE audit_auditlink DISABLE TRIGGER USER", [])
    _sql(statement, params)


def test_an_entry_edited_in_the_trail_is_found(history, capsys):
    entry = AuditEntry.objects.order_by("id")[3]
    _tamper_trail("UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["某人", entry.pk])
    code, err = _verify(capsys)
    assert code == 1
    assert "第4环" in err and "被修改" in err


def test_an_entry_deleted_from_the_trail_is_found(history, capsys):
    entry = AuditEntry.objects.order_by("id")[2]
    _tamper_trail("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    code, err = _verify(capsys)
    assert code == 1
    assert "第3环" in err


def test_two_links_swapped_in_the_trail_are_found(history, capsys):
    a, b = AuditLink.objects.order_by("seq")[1:3]
    _tamper_trail("UPDATE audit_auditlink SET seq = -1 WHERE seq = %s", [a.seq])
    _tamper_trail("UPDATE audit_auditlink SET seq = %s WHERE seq = %s", [a.seq, b.seq])
    _tamper_trail("UPDATE audit_auditlink SET seq = %s WHERE seq = -1", [b.seq])
    code, err = _verify(capsys)
    assert code == 1
    assert f"第{a.seq}环" in err


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_the_application_cannot_update_or_delete_the_trail(history):
    entry = AuditEntry.objects.order_by("id").first()
    for statement in (
        "UPDATE audit_auditentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
        "UPDATE audit_auditlink SET hash = 'x' WHERE entry_id = %s",
        "DELETE FROM audit_auditlink WHERE entry_id = %s",
    ):
        with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic():
            _sql(statement, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, summary=entry.summary).exists()


def test_sm3_chains_verify_too(history, capsys, settings):
    settings.LIANDONG_AUDIT_HASH = "sm3"
    dispatched()
    do_seal()
    assert AuditLink.objects.filter(algorithm="sm3").exists()
    code, out = _verify(capsys)
    assert code == 0, out


def test_entries_say_how_the_actor_authenticated(client: Client):
    from liandong.accounts.services import do_issue_api_token

    dispatcher = office_user()
    _, raw = do_issue_api_token(user=dispatcher, name="测试")
    response = Client().post(
        "/api/v1/incidents",
        data={"caller_phone": "13800000000", "address": "于洪区某街1号", "content": "噪音扰民"},
        content_type="application/json",
        headers={"authorization": f"Bearer {raw}"},
    )
    assert response.status_code in (200, 201), response.content
    entry = AuditEntry.objects.filter(kind=AuditKind.EVENT).latest("id")
    assert entry.auth_method == "token" and entry.token_prefix == raw[:8]
    assert entry.actor_id == dispatcher.pk and entry.request_id
    assert response.headers["X-Request-Id"] == entry.request_id
    # A person in the browser: the session.
    client.force_login(dispatcher)
    answer = client.post(
        "/api/v1/incidents",
        data={"caller_phone": "13800000001", "address": "于洪区某街2号", "content": "占道经营"},
        content_type="application/json",
    )
    assert answer.status_code in (200, 201), answer.content
    entry = AuditEntry.objects.filter(kind=AuditKind.EVENT).latest("id")
    assert entry.auth_method == "session" and entry.token_prefix == ""
    assert entry.actor_id == dispatcher.pk and entry.ip == "127.0.0.1"


def test_exports_are_recorded_with_who_and_what(client: Client):
    dispatcher = office_user()
    client.force_login(dispatcher)
    dispatched()
    listing = client.get("/console/incidents/?format=xlsx")
    workbook = client.get("/api/v1/stats/xlsx?by=unit")
    assert listing.status_code == 200 and workbook.status_code == 200
    exports = list(AuditEntry.objects.filter(kind=AuditKind.EXPORT).order_by("id"))
    assert len(exports) == 2
    assert all(e.actor_id == dispatcher.pk and e.auth_method == "session" for e in exports)
    assert exports[0].data["rows"] == 1 and exports[0].summary.startswith("导出：")
    assert exports[1].data["name"].startswith("统计_")


@pytest.fixture
def swept(frozen_at):
    """Two incidents' sign deadlines passed unsigned: one sweep of the watch writes their
    warnings and breaches together, recorded by one entry of kind EVENTS (ADR 29)."""
    from datetime import timedelta

    from liandong import clock
    from liandong.worker.loop import run_once, sweep_overdue_deadlines

    frozen_at("2026-11-30T09:00:00+08:00")  # a Monday
    dispatched()
    dispatched()
    before = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    clock.advance(timedelta(hours=3))
    run_once((sweep_overdue_deadlines,))
    do_seal()
    swept = list(Event.objects.filter(pk__gt=before).order_by("id"))
    assert len(swept) >= 4
    return swept


def test_events_written_together_share_one_entry_listing_each_digest(swept, capsys):
    (together,) = AuditEntry.objects.filter(kind=AuditKind.EVENTS)
    assert [pk for pk, _ in together.data["events"]] == [e.pk for e in swept]
    assert together.auth_method == "worker" and together.actor_label == "系统（时限监控）"
    assert together.summary.startswith(f"{len(swept)}条：")
    assert not AuditEntry.objects.filter(event_id__in=[e.pk for e in swept]).exists()
    code, out = _verify(capsys)
    assert code == 0, out
    assert f"已核对{Event.objects.count()}条业务事件" in out


def test_an_event_struck_from_the_list_of_its_entry_is_found(swept, capsys):
    together = AuditEntry.objects.get(kind=AuditKind.EVENTS)
    data = dict(together.data, events=together.data["events"][1:])
    _tamper_trail(
        "UPDATE audit_auditentry SET data = %s WHERE id = %s", [json.dumps(data), together.pk]
    )
    code, err = _verify(capsys)
    assert code == 1
    seq = AuditLink.objects.get(entry_id=together.pk).seq
    assert f"第{seq}环" in err and "被修改" in err


def test_an_event_listed_by_two_entries_is_found(swept, capsys):
    """A second entry naming an event already recorded (written through the application and
    sealed, so the chain itself is intact) is found."""
    from liandong.audit.services import do_record

    victim = swept[2]
    digest = dict(AuditEntry.objects.get(kind=AuditKind.EVENTS).data["events"])[victim.pk]
    forged = do_record(kind=AuditKind.EVENTS, summary="1条", data={"events": [[victim.pk, digest]]})
    do_seal()
    code, err = _verify(capsys)
    assert code == 1
    assert f"事件#{victim.pk}" in err and f"被重复记录（审计记录#{forged.pk}）" in err


def test_the_audit_administrator_sees_which_events_an_entry_records(swept):
    from django.urls import reverse

    from liandong.accounts.models import Role
    from tests.factories import UserFactory

    auditor = Client()
    auditor.force_login(UserFactory(role=Role.AUDITOR, is_staff=True))
    together = AuditEntry.objects.get(kind=AuditKind.EVENTS)
    page = auditor.get(reverse("admin:audit_auditentry_change", args=[together.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"共{len(swept)}个事件，编号#{swept[0].pk}至#{swept[-1].pk}" in text
    assert "成批业务事件" in text and swept[0].summary not in text  # the list, not the events
    single = AuditEntry.objects.filter(kind=AuditKind.EVENT).first()
    page = auditor.get(reverse("admin:audit_auditentry_change", args=[single.pk]))
    assert f"事件#{single.event_id}" in page.content.decode()

"""A calendar edit answers at once and leaves a job; the worker moves the open working-day
deadlines in chunks, with their events; a killed worker's chunk is taken by the next; a newer edit
supersedes an older job; `liandong import_calendar` runs the job itself."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from liandong import clock
from liandong.incidents.actions import recompute
from liandong.incidents.models import Deadline, Event
from liandong.sla.deadlines import Limit, LimitUnit, due_after
from liandong.sla.models import CalendarRecompute, HolidayYear
from liandong.sla.selectors import SETTINGS_SECONDS, load_calendar
from liandong.worker.loop import run_once
from tests.factories import UserFactory, declare_holidays, dispatched

MONDAY = "2026-11-30T09:00:00+08:00"  # level-2 results due 24:00 Thursday 3 December


@pytest.fixture
def open_results(db: Any, frozen_at: Any) -> list[Deadline]:
    """Six open working-day deadlines (three incidents, a primary and a cooperating unit each)."""
    frozen_at(MONDAY)
    for _ in range(3):
        dispatched(level=2)
    return list(Deadline.objects.filter(limit_unit="working_days").order_by("pk"))


def edit_2026(*extra: str) -> CalendarRecompute:
    declare_holidays(*extra)
    job = CalendarRecompute.objects.first()
    assert job is not None
    return job


def due_of(deadline: Deadline) -> str:
    return clock.to_beijing(Deadline.objects.get(pk=deadline.pk).due_at).isoformat()


def settle() -> int:
    """Past the processes' copies of the calendar (SETTINGS_SECONDS): the next chunk closes the
    job after looking at the deadlines created meanwhile."""
    clock.advance(timedelta(seconds=SETTINGS_SECONDS + 1))
    return recompute.do_recompute_chunk()


def recomputed_events() -> int:
    return Event.objects.filter(kind="deadline_recomputed").count()


def assert_all_follow_the_calendar() -> None:
    calendar = load_calendar()
    for d in Deadline.objects.filter(limit_unit="working_days", state="open"):
        due = due_after(d.starts_at, Limit(d.limit_amount, LimitUnit.WORKING_DAYS), calendar)
        assert (d.due_at, d.provisional) == (due.at, due.provisional), d.pk


def test_an_edit_in_the_admin_answers_without_moving_and_the_worker_moves_them(open_results):
    admin = Client()
    admin.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    row = HolidayYear.objects.get(year=2026)
    response = admin.post(
        f"/admin/sla/holidayyear/{row.pk}/change/",
        {
            "year": 2026,
            "source": "更正",
            "holidays_text": "\n".join([*row.holidays, "2026-12-01"]),
            "makeup_text": "\n".join(row.makeup_workdays),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "已保存，6条未完成时限将由后台重新计算" in response.content.decode()
    # the request wrote the calendar and the job, and moved nothing
    assert "2026-12-01" in HolidayYear.objects.get(year=2026).holidays
    assert due_of(open_results[0]) == "2026-12-04T00:00:00+08:00"
    assert recomputed_events() == 0
    job = CalendarRecompute.objects.first()  # the newest (loading the defaults left done ones)
    assert job is not None and (job.state, job.total, job.done) == ("pending", 6, 0)

    run_once()  # the worker

    assert {due_of(d) for d in open_results} == {"2026-12-05T00:00:00+08:00"}
    assert recomputed_events() == 6
    job.refresh_from_db()
    assert (job.state, job.done, job.moved) == ("running", 6, 6)  # open for other processes
    clock.advance(timedelta(seconds=SETTINGS_SECONDS + 1))
    run_once()
    event = Event.objects.filter(kind="deadline_recomputed").first()
    assert event is not None and "时限重新计算" in event.summary
    assert event.before["due_at"] == "2026-12-04T00:00:00+08:00"
    assert event.after == {"due_at": "2026-12-05T00:00:00+08:00", "provisional": False}
    job.refresh_from_db()
    assert (job.state, job.done, job.moved, job.cursor) == ("done", 6, 6, open_results[-1].pk)
    # the chunk's events share one audit entry listing each one's digest (ADR 29), and verify
    # finds every event recorded as written
    from liandong.audit.models import AuditEntry
    from liandong.audit.services import do_seal
    from liandong.audit.verify import verify

    together = AuditEntry.objects.get(kind="events")
    assert together.summary == "6条：时限重新计算6条" and together.actor_label == "系统"
    moved = Event.objects.filter(kind="deadline_recomputed").order_by("pk")
    assert [pk for pk, _ in together.data["events"]] == [e.pk for e in moved]
    assert not AuditEntry.objects.filter(event_id__in=[e.pk for e in moved]).exists()
    do_seal()
    report = verify()
    assert report.ok and report.events == Event.objects.count(), report.problem
    # the progress list, read only
    page = admin.get("/admin/sla/calendarrecompute/").content.decode()
    assert "已处理 6 / 6（100%），调整 6 条" in page and "已完成" in page
    assert admin.get("/admin/sla/calendarrecompute/add/").status_code == 403


def test_the_worker_walks_in_chunks_and_a_second_run_changes_nothing(open_results):
    job = edit_2026("2026-12-01")
    assert recompute.do_recompute_chunk(size=4) == 4
    job.refresh_from_db()
    # the first chunk split the job (the cursor at the last deadline) and did the first four
    assert (job.state, job.done, job.moved, job.cursor) == ("running", 4, 4, open_results[-1].pk)
    assert [(c.after, c.through) for c in job.chunks.all()] == [
        (open_results[3].pk, open_results[-1].pk)
    ]
    assert recompute.do_recompute_chunk(size=4) == 2  # the last, short chunk: the walk's end
    job.refresh_from_db()
    assert job.state == "running"  # until other processes' copies of the calendar expire
    assert not job.chunks.exists()
    # a deadline planned meanwhile with an old copy of the calendar is looked at too
    late = dispatched(level=2, cooperating=())
    late_result = Deadline.objects.get(instruction__incident=late, kind="result")
    Deadline.objects.filter(pk=late_result.pk).update(due_at=open_results[0].due_at)
    assert settle() == 1
    job.refresh_from_db()
    assert job.state == "done" and job.finished_at is not None and job.moved == 7
    assert recompute.do_recompute_chunk(size=4) == 0  # nothing left to do
    assert recomputed_events() == 7

    again = edit_2026()  # the same calendar saved again: idempotent
    assert recompute.recompute_until_done(size=4) == 7
    settle()
    again.refresh_from_db()
    assert (again.state, again.done, again.moved) == ("done", 7, 0)
    assert recomputed_events() == 7
    assert_all_follow_the_calendar()


def test_a_worker_killed_in_a_chunk_loses_nothing_and_the_next_takes_its_chunk(
    open_results, monkeypatch
):
    job = edit_2026("2026-12-01")
    assert recompute.do_recompute_chunk(size=2) == 2

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("the worker was killed")  # after the chunk's moves and events

    with monkeypatch.context() as m:
        m.setattr(recompute, "advance_recompute_job", killed)
        with pytest.raises(SystemExit):
            recompute.do_recompute_chunk(size=2)

    # the killed chunk rolled back whole: its deadlines unmoved, no events, its row still there
    job.refresh_from_db()
    assert job.done == 2
    assert [(c.after, c.through) for c in job.chunks.order_by("pk")] == [
        (open_results[1].pk, open_results[3].pk),
        (open_results[3].pk, open_results[5].pk),
    ]
    assert due_of(open_results[2]) == "2026-12-04T00:00:00+08:00"
    assert recomputed_events() == 2

    recompute.recompute_until_done(size=2)
    settle()
    job.refresh_from_db()
    assert (job.state, job.done, job.moved) == ("done", 6, 6)
    for d in open_results:  # each moved once, with one event
        assert Event.objects.filter(kind="deadline_recomputed", instruction_id=d.instruction_id)
        assert due_of(d) == "2026-12-05T00:00:00+08:00"
    assert recomputed_events() == 6


def test_a_newer_edit_supersedes_the_older_job_and_the_newest_calendar_wins(open_results):
    older = edit_2026("2026-12-01")
    recompute.do_recompute_chunk(size=2)  # two deadlines moved by the older edit
    newer = edit_2026("2026-12-01", "2026-12-02")

    recompute.recompute_until_done(size=2)
    settle()

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.state == "superseded" and older.done == 2
    assert (newer.state, newer.done, newer.moved) == ("done", 6, 6)
    # Dec 3, 4, 7 → 24:00 Monday 7 December, for all (the newest calendar)
    assert {due_of(d) for d in open_results} == {"2026-12-08T00:00:00+08:00"}
    assert recomputed_events() == 8  # two moved twice (each move has its event), four once
    assert_all_follow_the_calendar()


def test_the_worker_does_not_pause_while_counted_deadlines_wait_and_does_after(open_results):
    from liandong.worker.loop import round_pause

    assert not recompute.recompute_waiting()
    edit_2026("2026-12-01")
    assert recompute.recompute_waiting() and round_pause(1.0) == 0.0
    recompute.recompute_until_done()
    # walked; the job waits for other processes' copies of the calendar at the rounds' pace
    assert CalendarRecompute.objects.first().state == "running"  # type: ignore[union-attr]
    assert not recompute.recompute_waiting() and round_pause(1.0) > 0


def test_import_calendar_runs_the_job_itself_or_leaves_it_to_the_worker(open_results, tmp_path):
    path = tmp_path / "2026.yaml"
    row = HolidayYear.objects.get(year=2026)
    holidays = ", ".join(sorted({*row.holidays, "2026-12-01"}))
    path.write_text(f"2026:\n  holidays: [{holidays}]\n  makeup_workdays: []\n", encoding="utf-8")

    out = StringIO()
    call_command("import_calendar", str(path), "--leave-to-worker", stdout=out)
    assert "left to the worker" in out.getvalue()
    newest = CalendarRecompute.objects.first()
    assert newest is not None and newest.state == "pending" and recomputed_events() == 0

    out = StringIO()
    call_command("import_calendar", str(path), stdout=out)
    assert "open deadlines: recomputed, 6 moved" in out.getvalue()
    assert [j.state for j in CalendarRecompute.objects.all()[:2]] == ["running", "superseded"]
    settle()  # the worker closes it once other processes' copies of the calendar expired
    assert CalendarRecompute.objects.first().state == "done"  # type: ignore[union-attr]
    assert recomputed_events() == 6

"""The worker's paced housekeeping (`worker.loop.Paced`): at most every so often, at once again
after a full batch, and the production rounds pace exactly the housekeeping."""

from __future__ import annotations

from liandong.worker import loop


def counting(results: list[int]) -> tuple[list[int], loop.Paced]:
    calls: list[int] = []

    def task() -> int:
        calls.append(1)
        return results[len(calls) - 1]

    return calls, loop.Paced(task, seconds=3600.0, full=100)


def test_a_paced_task_runs_once_then_waits():
    calls, paced = counting([5, 5])
    assert paced() == 5
    assert paced() == 0 and paced() == 0
    assert len(calls) == 1


def test_a_full_batch_means_a_backlog_so_the_next_round_runs_it_again():
    calls, paced = counting([100, 150, 7, 9])
    assert [paced(), paced(), paced(), paced()] == [100, 150, 7, 0]
    assert len(calls) == 3


def test_a_paced_task_keeps_its_name_for_the_worker_s_log():
    _, paced = counting([0])
    assert paced.__name__ == "task"


def test_the_rounds_pace_the_housekeeping_and_run_the_deliveries_every_time():
    paced = {t.__name__ for t in loop.ROUND_TASKS if isinstance(t, loop.Paced)}
    every_round = {t.__name__ for t in loop.ROUND_TASKS if not isinstance(t, loop.Paced)}
    assert {"refresh_statistics", "seal_audit_trail", "write_triage_records"} <= paced
    assert {"send_city_reports", "send_notifications", "recompute_deadlines_for_calendar"} <= (
        every_round
    )
    assert "sweep_overdue_deadlines" not in paced | every_round  # the watch has its own thread
    assert paced | every_round == {t.__name__ for t in loop.TASKS} - {"sweep_overdue_deadlines"}

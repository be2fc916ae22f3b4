"""The background worker: finds work written as rows by the actions and hands each item to an
action. It holds no state of its own, so several workers may run at once (each item is locked and
rechecked by its action) and a killed worker loses nothing."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

from liandong import clock
from liandong.assessment.actions import draft_last_month
from liandong.audit import context as audit_context
from liandong.audit.services import SEAL_BATCH, do_seal
from liandong.citylink.delivery import deliver_reports
from liandong.common.startup import freeze_loaded_objects
from liandong.incidents.actions import do_anonymise_closed_incidents, sweep_attachment_files
from liandong.incidents.actions.digest import do_send_daily_digests
from liandong.incidents.actions.receipts import CHUNK as RECEIPT_CHUNK
from liandong.incidents.actions.receipts import do_record_receipts
from liandong.incidents.actions.recompute import recompute_for_a_while, recompute_waiting
from liandong.incidents.actions.watch import next_watch_moment, watch_until_idle
from liandong.notifications.delivery import deliver_notifications
from liandong.stats.facts import do_refresh_facts
from liandong.triage.records import do_write_triage_records
from liandong.triage.services import do_retrain_if_due
from liandong.worker.actions import do_record_heartbeat, this_worker_id

log = logging.getLogger("liandong.worker")
BATCH = 1000


def sweep_overdue_deadlines() -> int:
    """The deadline watch: every warning, breach and supervision proposal that is due."""
    return watch_until_idle(limit=BATCH)


#: A round's share of a calendar recompute (the rest waits for the next round, which then comes
#: without a pause), so the watch keeps its pace during a long recompute.
RECOMPUTE_SECONDS_PER_ROUND = 1.0


def recompute_deadlines_for_calendar() -> int:
    """Chunks of the newest calendar recompute job (a holiday arrangement was edited)."""
    return recompute_for_a_while(seconds=RECOMPUTE_SECONDS_PER_ROUND)


#: Each delivery queue gets at most this long per round: under a backlog (a storm) the deadline
#: watch, which runs first in every round, is never kept waiting behind a long queue of sends.
DELIVERY_BUDGET_SECONDS = 1.0


#: The city's receipts are recorded at most this often in the rounds (sooner after a full chunk):
#: the console lists a new incident at once (its live signal); the office's notification and the
#: timeline's first event may wait this long, and a storm's receipts gather into bigger batches.
RECEIPTS_EVERY_SECONDS = 1.0


def record_city_receipts() -> int:
    """The receipts of the city's hand-overs accepted since: their events, audit entries and the
    office's notifications (ADR 26)."""
    return do_record_receipts(budget_seconds=DELIVERY_BUDGET_SECONDS)


def send_city_reports() -> int:
    """The city reports that are due, in order per incident."""
    return deliver_reports(budget_seconds=DELIVERY_BUDGET_SECONDS)


def send_notifications() -> int:
    """The notifications' deliveries that are due (every channel)."""
    return deliver_notifications(budget_seconds=DELIVERY_BUDGET_SECONDS)


def send_daily_digests() -> int:
    return do_send_daily_digests()


def refresh_statistics() -> int:
    """The statistics' facts of the incidents changed since the last round."""
    return do_refresh_facts(limit=BATCH * 5)


def draft_monthly_bulletin() -> int:
    return draft_last_month()


def write_triage_records() -> int:
    """The triage records (proposal against decision) of the dispatches queued since (ADR 23)."""
    return do_write_triage_records(limit=BATCH, budget_seconds=DELIVERY_BUDGET_SECONDS)


#: Whether a new triage model is due is asked at most this often in the rounds (`Paced`): it is
#: due once a week, and a storm's rounds come back to back.
RETRAIN_CHECK_EVERY_SECONDS = 300.0


def retrain_triage_model() -> int:
    """A new triage model when one is due (LIANDONG_TRIAGE_RETRAIN_DAYS)."""
    return do_retrain_if_due()


def seal_audit_trail() -> int:
    """Link the audit entries written since the last round into the hash chain."""
    return do_seal()


#: Anonymisation looks for incidents past their retention period at most this often.
ANONYMISE_EVERY_SECONDS = 3600.0
_next_anonymise = 0.0


def anonymise_old_incidents() -> int:
    """The caller's name and phone of incidents finished longer ago than the retention period
    (LIANDONG_ANONYMISE_AFTER_DAYS, 0: never); looked for once an hour."""
    global _next_anonymise
    if time.monotonic() < _next_anonymise:
        return 0
    done = do_anonymise_closed_incidents(
        now=clock.now(), older_than_days=settings.LIANDONG_ANONYMISE_AFTER_DAYS, limit=BATCH
    )
    # a full batch: more may be waiting, look again next round
    _next_anonymise = 0.0 if done >= BATCH else time.monotonic() + ANONYMISE_EVERY_SECONDS
    return done


TASKS = (
    sweep_overdue_deadlines,
    record_city_receipts,
    send_city_reports,
    send_notifications,
    recompute_deadlines_for_calendar,
    send_daily_digests,
    draft_monthly_bulletin,
    sweep_attachment_files,
    anonymise_old_incidents,
    refresh_statistics,
    seal_audit_trail,
    write_triage_records,
    retrain_triage_model,
)


class Paced:
    """A task that `run_forever`'s rounds run at most every `seconds` (and again at once after a
    run that handled `full` items or more: a backlog). Under a storm the rounds come back to back;
    housekeeping then gathers into bigger batches instead of paying its statements every round.
    Nothing waits for it meanwhile: the statistics refresh their facts before every read, and the
    audit seal and the triage records serve later reviews."""

    def __init__(self, task: Callable[[], int], seconds: float, full: int | None = None) -> None:
        self.task, self.seconds, self.full = task, seconds, full
        self.__name__ = task.__name__
        self._next = 0.0

    def __call__(self) -> int:
        if time.monotonic() < self._next:
            return 0
        done = self.task()
        backlog = self.full is not None and done >= self.full
        self._next = 0.0 if backlog else time.monotonic() + self.seconds
        return done


#: The rounds' tasks when the watch has its own thread (`run_forever`): everything but the watch,
#: the housekeeping paced. `run_once` (tests, `liandong worker --once`) runs every task in TASKS.
ROUND_TASKS: tuple[Callable[[], int], ...] = (
    Paced(record_city_receipts, RECEIPTS_EVERY_SECONDS, full=RECEIPT_CHUNK),
    send_city_reports,
    send_notifications,
    recompute_deadlines_for_calendar,
    Paced(send_daily_digests, 30.0),
    Paced(draft_monthly_bulletin, 60.0),
    Paced(sweep_attachment_files, 60.0),
    anonymise_old_incidents,
    Paced(refresh_statistics, 5.0, full=BATCH * 5),
    Paced(seal_audit_trail, 5.0, full=SEAL_BATCH * 10),
    Paced(write_triage_records, 5.0, full=BATCH),
    Paced(retrain_triage_model, RETRAIN_CHECK_EVERY_SECONDS),
)


def run_once(tasks: tuple[Callable[[], int], ...] = TASKS) -> int:
    done = 0
    for task in tasks:
        try:
            with audit_context.acting(method="worker", request=None):
                done += task()
        except Exception:  # a failing task must not stop the others; it is retried next round
            log.exception("worker task %s failed", task.__name__)
    try:
        # /readyz reads it: a worker that stopped finishing rounds makes the installation unready.
        do_record_heartbeat(worker_id=this_worker_id(), at=clock.now())
    except Exception:  # the database is away: the next round writes it
        log.exception("could not record the worker's heartbeat")
    return done


def run_worker_process(*, interval: float, stop: threading.Event | None = None) -> None:
    """`liandong worker`: the rounds in a process of their own, whose start-up objects are first
    moved out of the garbage collector's sight (common/startup.py)."""
    freeze_loaded_objects()
    run_forever(interval=interval, stop=stop)


def run_forever(*, interval: float, stop: threading.Event | None = None) -> None:
    """The rounds, with the deadline watch in a thread of its own (ADR 25): a round under a
    backlog (a storm's reports and notifications, a calendar recompute) takes seconds, and a
    warning or breach must not wait behind it. The watch's statements wait on the database, not
    on Python, so the thread gets its turn within milliseconds."""
    stop = stop or threading.Event()
    log.info("worker started (every %.1f s)", interval)
    watch = threading.Thread(target=watch_forever, kwargs={"stop": stop}, name="liandong-watch")
    watch.start()
    lower_this_thread(settings.LIANDONG_WORKER_NICE)
    try:
        while not stop.is_set():
            close_old_connections()
            done = run_once(ROUND_TASKS)
            if done:
                log.info("worker handled %d item(s)", done)
            # Work found (a backlog, cut by the delivery budget): the next round starts at once.
            stop.wait(0.0 if done else round_pause(interval))
    finally:
        stop.set()
        watch.join()
        close_old_connections()


def lower_this_thread(increment: int) -> None:
    """Run the rounds (and the send pools they start) at a lower CPU priority than the web server
    and the watch, which was started before: when a storm keeps every core busy, the office's and
    the units' requests and the deadline watch come first, and the deliveries catch up as soon as
    a core is free (ADR 25). On Linux a nice value belongs to the thread that sets it; where
    lowering is refused or unknown, the rounds keep the usual priority."""
    if increment <= 0 or not hasattr(os, "nice"):
        return
    try:
        os.nice(increment)
    except OSError:
        log.warning("could not lower the rounds' priority by %d", increment)


def watch_forever(*, stop: threading.Event) -> None:
    """The deadline watch's own loop: every stage that is due, then a sleep until the next
    watch moment (at most the watch horizon). Its database connection is this thread's own."""
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                with audit_context.acting(method="worker", request=None):
                    done = sweep_overdue_deadlines()
            except Exception:  # the database is away, or a bug: log, pause, try again
                log.exception("the deadline watch failed")
                done = 0
                stop.wait(WATCH_HORIZON_SECONDS)
                continue
            if done:
                log.info("watch handled %d step(s)", done)
            stop.wait(0.0 if done >= BATCH else max(WATCH_GATHER_SECONDS, watch_pause()))
    finally:
        connection.close()


#: The watch never sleeps longer than this, so a deadline created meanwhile is seen in time.
WATCH_HORIZON_SECONDS = 1.0
#: ... nor less, after a sweep that was not full: under a storm, steps fall due every few
#: milliseconds, and one sweep per moment (several statements each, every worker racing for the
#: same row) would cost far more than one sweep for what fell due in a quarter of a second.
WATCH_GATHER_SECONDS = 0.25


def round_pause(interval: float) -> float:
    """Between two rounds with nothing done: `interval`, at most the watch horizon (the
    notifications the watch writes go out promptly); none while a calendar recompute waits that
    no other worker is on."""
    try:
        if recompute_waiting():
            return 0.0
    except Exception:  # the database is away: retry after the usual pause
        log.exception("could not look for a calendar recompute")
        return interval
    return min(interval, WATCH_HORIZON_SECONDS)


def watch_pause() -> float:
    """Until the next watch moment, at most the watch horizon."""
    try:
        moment = next_watch_moment()
    except Exception:  # the database is away: retry after the horizon
        log.exception("could not read the next watch moment")
        return WATCH_HORIZON_SECONDS
    if moment is None:
        return WATCH_HORIZON_SECONDS
    return max(0.0, min(WATCH_HORIZON_SECONDS, (moment - clock.now()).total_seconds()))

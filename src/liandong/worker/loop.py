"""The background worker: finds work written as rows by the actions and hands each item to an
action. It holds no state of its own, so several workers may run at once (each item is locked and
rechecked by its action) and a killed worker loses nothing."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from liandong import clock
from liandong.citylink.delivery import deliver_reports
from liandong.incidents.actions import do_note_overdue, sweep_attachment_files
from liandong.incidents.models import Deadline, DeadlineState

log = logging.getLogger("liandong.worker")
BATCH = 500


def sweep_overdue_deadlines() -> int:
    """Note every open deadline that has just passed (once each)."""
    due = Deadline.objects.filter(
        state=DeadlineState.OPEN, due_at__lte=clock.now(), overdue_noticed_at__isnull=True
    ).order_by("due_at")[:BATCH]
    return sum(1 for deadline in due if do_note_overdue(deadline=deadline))


TASKS = (sweep_overdue_deadlines, deliver_reports, sweep_attachment_files)


def run_once() -> int:
    done = 0
    for task in TASKS:
        try:
            done += task()
        except Exception:  # a failing task must not stop the others; it is retried next round
            log.exception("worker task %s failed", task.__name__)
    return done


def run_forever(*, interval: float, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    log.info("worker started (every %.1f s)", interval)
    while not stop.is_set():
        close_old_connections()
        done = run_once()
        if done:
            log.info("worker handled %d item(s)", done)
        stop.wait(interval)
    close_old_connections()

"""The worker's one write of its own: its heartbeat."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import transaction

from liandong.worker.models import WorkerHeartbeat

#: The rows of worker processes gone this long are removed (a restart is a new process id).
FORGET_AFTER = timedelta(days=7)


def this_worker_id() -> str:
    """`hostname:pid` of the calling process (asked each time: a forked process is another)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@transaction.atomic
def do_record_heartbeat(*, worker_id: str, at: datetime) -> None:
    """Upsert the worker's row (one statement), and forget the rows of long-gone processes."""
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(worker_id=worker_id, last_seen=at)],
        update_conflicts=True,
        unique_fields=["worker_id"],
        update_fields=["last_seen"],
    )
    WorkerHeartbeat.objects.filter(last_seen__lt=at - FORGET_AFTER).delete()

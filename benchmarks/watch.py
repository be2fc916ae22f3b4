"""Benchmark: the deadline watch on PostgreSQL with a million running deadlines.

    LIANDONG_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/liandong_bench \\
        .venv/bin/python benchmarks/watch.py [--running 1000000] [--stream 20000] [--seconds 20]

Builds a fresh database (dropped and created), migrates it, and writes `--running` open deadlines
with SQL (their moments spread over the next 30 days), plus `--stream` deadlines whose warning or
breach falls within the next `--seconds` seconds (a steady stream), then runs the real worker loop
(`liandong.worker.loop.run_worker_process`, as `liandong worker` runs it; two of them in two
processes) against the real clock and reports:

- lateness: event time minus the stage's moment (p50, p99, max) over the stream — target p99 < 2 s;
- throughput: a backlog of due deadlines handled per second by one worker (`--backlog` of them),
  against a floor measured in the same run: PostgreSQL alone finding and marking due rows of a
  table of the same size in batches of 1000 with `FOR UPDATE SKIP LOCKED` — printed as a ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time

from pg_database import fresh_database, setup_django

FILL = """
WITH params AS (SELECT %(now)s::timestamptz AS now)
INSERT INTO incidents_incident (incident_id, source, status, received_at, accepted_at, caller_name,
    caller_phone, address, coordinate_system, content, city_category, police_dispatched,
    suggested_urgency, repeat_calls, raw_request, raw_body, content_hash, incident_class, level,
    triage_note, return_reason, outcome, satisfaction, intake_priority, intake_cues)
SELECT 'BENCH' || g, 'manual', 'dispatched', now, now, '', '13800000000', '于洪区测试地址' || g,
    'gcj02', '压测警情', '', false, '', 0, '{}', '', '', 'source_diversion', 1, '', '', '', '',
    1, '[]'
FROM params, generate_series(%(first)s, %(last)s) AS g;
"""

FILL_INSTRUCTIONS = """
INSERT INTO incidents_instruction (incident_id, unit_id, role, level, tier, state, previous_state,
    dispatched_at, feedback_kind, feedback_text, result_outcome, result_text, note)
SELECT i.id, %(unit)s, 'primary', 1, 1, 'pending_sign', '', %(now)s, '', '', '', '', ''
FROM incidents_incident i WHERE i.incident_id LIKE 'BENCH%%' AND i.id BETWEEN %(lo)s AND %(hi)s;
"""

# Four deadlines per instruction; moments spread over 30 days, or within the stream window.
FILL_DEADLINES = """
INSERT INTO incidents_deadline (instruction_id, kind, state, starts_at, limit_amount, limit_unit,
    due_at, original_due_at, provisional, warn_share, warn_at, escalate_after_minutes,
    paused_seconds, watch_at)
SELECT ins.id, k.kind, 'open', %(now)s, 10, 'minutes', d.due, d.due, false, 0.8, d.due, NULL, 0, d.due
FROM incidents_instruction ins
CROSS JOIN (VALUES ('sign'), ('feedback'), ('result'), ('caller_contact')) AS k(kind)
CROSS JOIN LATERAL (SELECT %(now)s::timestamptz + make_interval(secs =>
    CASE WHEN ins.id %% %(every)s = 0 AND k.kind = 'sign'
         THEN %(lead)s + (ins.id / %(every)s %% %(window)s)
         ELSE %(far)s + (ins.id * 4 + ascii(k.kind)) %% (30 * 86400) END) AS due) AS d
WHERE ins.id BETWEEN %(lo)s AND %(hi)s;
"""


def fill(running: int, stream: int, window: float, lead: float) -> int:
    """Write the deadlines with SQL; returns how many are in the stream."""
    from django.db import connection

    from liandong import clock
    from liandong.units.models import Unit

    now = clock.now()
    instructions = running // 4
    every = max(1, instructions // stream)
    unit_id = Unit.objects.get(code="ecology").pk
    chunk = 50_000
    with connection.cursor() as cur:
        for first in range(1, instructions + 1, chunk):
            last = min(instructions, first + chunk - 1)
            cur.execute(FILL, {"now": now, "first": first, "last": last})
        cur.execute(
            "SELECT min(id), max(id) FROM incidents_incident WHERE incident_id LIKE 'BENCH%%'"
        )
        lo, hi = cur.fetchone()
        cur.execute(FILL_INSTRUCTIONS, {"unit": unit_id, "now": now, "lo": lo, "hi": hi})
        cur.execute("SELECT min(id), max(id) FROM incidents_instruction")
        ilo, ihi = cur.fetchone()
        for start in range(ilo, ihi + 1, chunk):
            cur.execute(
                FILL_DEADLINES,
                {
                    "now": now,
                    "lo": start,
                    "hi": min(ihi, start + chunk - 1),
                    "every": every,
                    "lead": lead,
                    "window": int(window),
                    "far": 3600,
                },
            )
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT count(*) FROM incidents_deadline WHERE watch_at < %s",
            [now + _td(lead + window + 1)],
        )
        return int(cur.fetchone()[0])


def _td(seconds: float):  # noqa: ANN202
    from datetime import timedelta

    return timedelta(seconds=seconds)


def _worker(url: str, seconds: float) -> None:
    setup_django(url)
    import threading

    from liandong.worker.loop import run_worker_process

    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    run_worker_process(interval=1.0, stop=stop)


def floor_rows_per_second(rows: int, marks: int) -> float:
    """PostgreSQL alone: find and mark due rows in batches of 1000 with SKIP LOCKED."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_floor")
        cur.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, due_at timestamptz NOT NULL,"
            " noticed_at timestamptz, payload text)"
        )
        cur.execute(
            "INSERT INTO bench_floor (due_at, payload) SELECT now() + make_interval(secs => "
            "CASE WHEN g <= %s THEN -1 ELSE g %% 2592000 END), repeat('x', 200)"
            " FROM generate_series(1, %s) g",
            [marks, rows],
        )
        cur.execute("CREATE INDEX bench_floor_due ON bench_floor (due_at) WHERE noticed_at IS NULL")
        cur.execute("ANALYZE bench_floor")
    started = time.monotonic()
    done = 0
    while done < marks:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE bench_floor SET noticed_at = now() WHERE id IN (SELECT id FROM bench_floor"
                " WHERE noticed_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT 1000"
                " FOR UPDATE SKIP LOCKED)"
            )
            done += cur.rowcount
    return marks / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--running", type=int, default=1_000_000)
    parser.add_argument("--stream", type=int, default=4_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = fresh_database("liandong_bench")
    lead = 15.0  # seconds before the stream starts (time to start the workers)
    started = time.monotonic()
    in_stream = fill(args.running, args.stream, args.seconds, lead)
    from liandong.incidents.models import Deadline, Event

    running = Deadline.objects.filter(state="open").count()
    print(
        f"{running} running deadlines written in {time.monotonic() - started:.1f} s; "
        f"{in_stream} of them come due in the next {lead + args.seconds:.0f} s"
    )
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_worker, args=(url, lead + args.seconds + 5))
        for _ in range(args.workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    late = sorted(
        e["data"]["late_ms"]
        for e in Event.objects.filter(kind__in=["deadline_warning", "deadline_overdue"]).values(
            "data"
        )
    )
    if not late:
        print("no stage fired: the workers did not run")
        return 1
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    print(
        f"stream: {len(late)} stages fired by {args.workers} workers; lateness p50 "
        f"{statistics.median(late) / 1000:.3f} s, p99 {p99 / 1000:.3f} s, max {late[-1] / 1000:.3f} s"
    )

    # throughput on a backlog: push `backlog` deadlines to 'due now', one worker round after round
    from django.db import connection

    from liandong import clock
    from liandong.incidents.actions.watch import watch_until_idle

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE incidents_deadline SET watch_at = %s, warn_at = %s, due_at = %s WHERE id IN "
            "(SELECT id FROM incidents_deadline WHERE watch_at IS NOT NULL ORDER BY id DESC LIMIT %s)",
            [clock.now() - _td(1), clock.now() - _td(1), clock.now() - _td(1), args.backlog],
        )
    began = time.monotonic()
    handled = watch_until_idle(limit=1000, max_rounds=10_000)
    ours = handled / (time.monotonic() - began)
    floor = floor_rows_per_second(args.running, args.backlog)
    print(
        f"backlog: {handled} deadlines through the watch at {ours:,.0f}/s (events, notifications,"
        f" stamps); PostgreSQL alone marks due rows at {floor:,.0f}/s; ratio {ours / floor:.2f}"
    )
    return 0 if p99 < 2000 else 2


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: every page of every role with 100,000 open instructions (issue 13: p95 < 150 ms).

    .venv/bin/python benchmarks/screens.py [--open 100000] [--rounds 20] [--reuse]
        [--only /console/stats/] [--cold]

`--only PATH` times only that page (repeatable); `--cold` clears Django's cache before each timed
request (the statistics as read after a change of their period's facts, ADR 22).

Builds a fresh PostgreSQL database (liandong_bench_screens, or LIANDONG_BENCH_DATABASE_URL),
migrates it, loads the defaults and the demo accounts, and writes with SQL (benchmarks/stats.py's
generator) a month of incidents whose newest `--open` instructions are still open, spread over
every unit: waiting to be signed or signed, each with its open clocks and its unit's notification;
plus a queue of new incidents, requests waiting for the office and reported results. Then it
requests every page of web/urls.py (and the API lists the screens' scripts read) through Django's
test client as the role that uses it, warm, and prints median and p95 per page, with the floor
measured in the same run: /healthz through the same middleware (a view that reads nothing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta

from pg_database import bench_url, fresh_database, setup_django
from stats import fill

OPEN = """
WITH newest AS (
    SELECT id FROM incidents_instruction ORDER BY id DESC LIMIT %(open)s
)
UPDATE incidents_instruction i SET
    state = CASE WHEN i.id %% 3 = 0 THEN 'signed' ELSE 'pending_sign' END,
    signed_at = CASE WHEN i.id %% 3 = 0 THEN i.dispatched_at + interval '5 minutes' END,
    feedback_at = NULL, result_at = NULL, finished_at = NULL,
    dispatched_at = %(now)s - (i.id %% 7200) * interval '1 minute'
FROM newest WHERE i.id = newest.id;
UPDATE incidents_deadline d SET state = 'open', completed_at = NULL,
    starts_at = i.dispatched_at, due_at = i.dispatched_at + d.limit_amount * interval '1 minute',
    original_due_at = i.dispatched_at + d.limit_amount * interval '1 minute',
    warn_at = i.dispatched_at + d.limit_amount * interval '48 seconds'
FROM incidents_instruction i
WHERE d.instruction_id = i.id AND i.state IN ('pending_sign', 'signed') AND d.kind <> 'caller_contact';
DELETE FROM incidents_deadline d USING incidents_instruction i
WHERE d.instruction_id = i.id AND i.state IN ('pending_sign', 'signed') AND d.kind = 'caller_contact';
UPDATE incidents_incident n SET status = 'dispatched', closed_at = NULL
WHERE n.id IN (SELECT incident_id FROM incidents_instruction
               WHERE state IN ('pending_sign', 'signed'));
INSERT INTO incidents_notification (unit_id, audience, incident_id, instruction_id, kind, title,
    text, created_at, stage)
SELECT unit_id, 'all', incident_id, id, 'dispatched', '', '新指令（主责）：于洪区测试地址',
    dispatched_at, ''
FROM incidents_instruction WHERE state IN ('pending_sign', 'signed');
-- the office's work: reported results, requests waiting, a queue of new incidents
UPDATE incidents_instruction SET state = 'result_reported', result_outcome = 'resolved',
    result_text = '已处置', result_at = %(now)s, signed_at = dispatched_at
WHERE state = 'signed' AND id %% 997 = 0;
INSERT INTO incidents_extensionrequest (instruction_id, state, reason, created_at, decision_note,
    progress, proposed_due_at, leader_note, created_by_id)
SELECT id, CASE WHEN id %% 2 = 0 THEN 'pending_office' ELSE 'pending_leader' END, '需协调',
    %(now)s, '', '进展', %(now)s + interval '5 days', '', %(user)s
FROM incidents_instruction WHERE state = 'signed' AND id %% 1009 = 0;
"""


def open_work(open_count: int) -> None:
    from django.db import connection

    from liandong import clock
    from liandong.accounts.models import User

    user = User.objects.get(username="diaodu").pk
    with connection.cursor() as cur:
        cur.execute(OPEN, {"open": open_count, "now": clock.now(), "user": user})
    from liandong.incidents import actions

    office = User.objects.get(username="diaodu")
    for n in range(150):  # the intake queue, through the product's action
        actions.do_create_manual_incident(
            actor=office,
            caller_phone="13800000000",
            address=f"于洪区陵西街道测试路{n}号",
            content="夜间施工噪声扰民，报警人无法休息。",
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def pages() -> list[tuple[str, str]]:
    """(username, path): every GET page of web/urls.py, as the role that uses it."""
    from liandong import clock
    from liandong.incidents.models import Incident, Instruction
    from liandong.units.models import Unit

    ecology = Unit.objects.get(code="ecology")
    dispatched = Incident.objects.filter(status="dispatched").order_by("-id").first()
    waiting = Incident.objects.filter(status="new").order_by("-id").first()
    mine = (
        Instruction.objects.filter(unit=ecology, state="signed").order_by("-id").first()
        or Instruction.objects.filter(unit=ecology).order_by("-id").first()
    )
    assert dispatched and waiting and mine
    # The statistics of the data's month (the last 30 Beijing days, not "this month so far",
    # which on the 1st of a month is an empty period)
    today = clock.to_beijing(clock.now()).date()
    month = f"from={today - timedelta(days=30)}&to={today}"
    return [
        ("diaodu", "/"),
        ("diaodu", "/console/"),
        ("diaodu", "/console/live"),
        ("diaodu", "/console/board"),
        ("diaodu", "/console/incidents/"),
        ("diaodu", "/console/incidents/?q=测试地址"),
        ("diaodu", f"/console/incidents/{dispatched.incident_id}/"),
        ("diaodu", f"/console/incidents/{waiting.incident_id}/"),
        ("diaodu", "/console/incidents/new"),
        ("diaodu", "/console/decisions/"),
        ("diaodu", "/console/city-reports/"),
        ("diaodu", "/notifications/"),
        ("diaodu", "/live"),
        ("diaodu", "/help/"),
        ("diaodu", f"/console/stats/?{month}"),
        ("duban", "/console/supervision/"),
        ("duban", "/console/supervision/new"),
        ("duban", "/console/bulletins/"),
        ("lingdao", "/overview/"),
        ("lingdao", "/console/"),
        ("zb-ecology", "/unit/"),
        ("zb-ecology", "/unit/rows"),
        ("zb-ecology", "/unit/?show=all"),
        ("zb-ecology", f"/unit/instructions/{mine.pk}/"),
        ("zb-ecology", "/notifications/"),
        ("zb-ecology", "/live"),
        ("ld-ecology", "/unit/supervision/"),
        ("ld-ecology", "/unit/approvals/"),
        ("diaodu", "/api/v1/incidents?limit=50"),
        ("diaodu", f"/api/v1/incidents/{dispatched.incident_id}"),
        ("zb-ecology", "/api/v1/instructions?open_only=true"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000, help="open instructions")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--target-ms", type=float, default=150.0)
    parser.add_argument("--reuse", action="store_true", help="time the database of a last run")
    parser.add_argument("--only", action="append", help="time only these paths (repeatable)")
    parser.add_argument("--cold", action="store_true", help="clear the cache before each request")
    args = parser.parse_args()
    began = time.monotonic()
    if args.reuse:
        setup_django(bench_url("liandong_bench_screens"))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from liandong.incidents.models import Incident

        if not Incident.objects.filter(status="new").exists():
            open_work(0)
    else:
        fresh_database("liandong_bench_screens")
        from liandong import demo

        demo.create_demo_accounts()
        # a month of instructions; the newest `--open` of them are then made open
        fill(int(args.open * 1.3), 1)
        open_work(args.open)
        from liandong.stats.facts import do_rebuild_all_facts

        do_rebuild_all_facts()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from liandong.accounts.models import User
    from liandong.incidents.models import Instruction

    settings.ALLOWED_HOSTS = ["*"]
    settings.LIANDONG_REQUIRE_SECOND_FACTOR = False
    still_open = Instruction.objects.filter(state__in=["pending_sign", "signed"]).count()
    print(f"{still_open:,} open instructions; built in {time.monotonic() - began:.0f} s")
    clients: dict[str, Client] = {}

    def timed(username: str, path: str) -> tuple[float, float, int]:
        client = clients.get(username)
        if client is None:
            client = clients[username] = Client(HTTP_HOST="localhost")
            client.force_login(User.objects.get(username=username))
        for _ in range(2):  # warm
            status = client.get(path).status_code
            assert status in (200, 204, 302), f"{username} {path}: {status}"
        queries: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(path)
        runs = []
        for _ in range(args.rounds):
            if args.cold:
                cache.clear()
            started = time.perf_counter()
            client.get(path)
            runs.append((time.perf_counter() - started) * 1000)
        runs.sort()
        return statistics.median(runs), runs[int(0.95 * (len(runs) - 1))], len(queries)

    floor = timed("diaodu", "/healthz")
    print(f"\n{'page':<64}{'median ms':>10}{'p95 ms':>8}{'queries':>9}")
    print(f"{'floor: diaodu /healthz':<64}{floor[0]:>10.1f}{floor[1]:>8.1f}{floor[2]:>9}")
    worst = ("", 0.0)
    for username, path in pages():
        if args.only and path.split("?")[0] not in args.only:
            continue
        median, p95, queries = timed(username, path)
        if p95 > worst[1]:
            worst = (f"{username} {path}", p95)
        flag = "  SLOW" if p95 >= args.target_ms else ""
        print(f"{username + ' ' + path:<64}{median:>10.1f}{p95:>8.1f}{queries:>9}{flag}")
    print(
        f"\nslowest p95: {worst[1]:.1f} ms ({worst[0]}); floor p95 {floor[1]:.1f} ms; "
        f"ratio {worst[1] / max(floor[1], 0.01):.0f}; target {args.target_ms:.0f} ms:",
        "met" if worst[1] < args.target_ms else "NOT met",
    )
    return 0 if worst[1] < args.target_ms else 2


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: how fast every screen answers on the demo data.

    .venv/bin/python benchmarks/pages.py [--rounds 30] [--incidents 200]

Builds a fresh SQLite installation in a temporary folder with the demo data plus N extra incidents in
various states (through the real actions), then requests each page through Django's test client as
the right user and prints median and 95th percentile per page, next to a floor measured in the same
run (a trivial view: /healthz). Target: every page under 150 ms."""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from fresh import fresh_installation


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--target-ms", type=float, default=150.0)
    args = parser.parse_args()
    fresh_installation()
    from django.test import Client

    from liandong import demo
    from liandong.accounts.models import User
    from liandong.incidents import actions
    from liandong.incidents.models import Incident, Instruction
    from liandong.units.models import Category, Unit

    demo.create_demo_accounts()
    demo.create_demo_incidents()
    dispatcher = User.objects.get(username="diaodu")
    noise, ecology = Category.objects.get(code="noise"), Unit.objects.get(code="ecology")
    officer = User.objects.get(username="zb-ecology")
    for n in range(args.incidents):
        incident = actions.do_create_manual_incident(
            actor=dispatcher,
            caller_phone="13800000000",
            address=f"于洪区陵西街道测试路{n}号",
            content="夜间施工噪声扰民，报警人无法休息。",
        )
        if n % 4 == 0:
            continue
        actions.do_dispatch_incident(
            actor=dispatcher,
            incident=incident,
            incident_class="source_diversion",
            level=1 + n % 2,
            category=noise,
            primary_unit=ecology,
        )
        inst = incident.instructions.get()
        if n % 3 == 0:
            actions.do_sign_instruction(actor=officer, instruction=inst)
    some_incident = Incident.objects.filter(status="dispatched").first()
    some_instruction = Instruction.objects.filter(unit=ecology).first()
    assert some_incident and some_instruction
    pages = [
        ("diaodu", "/healthz"),
        ("diaodu", "/console/"),
        ("diaodu", "/console/live"),
        ("diaodu", f"/console/incidents/{some_incident.incident_id}/"),
        (
            "diaodu",
            f"/console/incidents/{Incident.objects.filter(status='new').first().incident_id}/",
        ),  # type: ignore[union-attr]
        ("diaodu", "/console/decisions/"),
        ("diaodu", "/console/incidents/"),
        ("diaodu", "/console/city-reports/"),
        ("zb-ecology", "/unit/"),
        ("zb-ecology", f"/unit/instructions/{some_instruction.pk}/"),
        ("ld-ecology", "/unit/approvals/"),
        ("diaodu", "/api/v1/incidents?limit=50"),
        ("diaodu", f"/api/v1/incidents/{some_incident.incident_id}"),
        ("zb-ecology", "/api/v1/instructions?open_only=true"),
        ("admin", "/admin/"),
    ]
    clients: dict[str, Client] = {}
    worst = 0.0
    print(f"{'page':<58} {'median ms':>10} {'p95 ms':>8}")
    floor = None
    for username, path in pages:
        client = clients.setdefault(username, Client())
        client.force_login(User.objects.get(username=username))
        for _ in range(3):  # warm up
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        median = statistics.median(times)
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        if path == "/healthz":
            floor = median
        else:
            worst = max(worst, p95)
        print(f"{username + ' ' + path:<58} {median:>10.1f} {p95:>8.1f}")
    print(
        f"\nfloor (/healthz) {floor:.1f} ms; slowest page p95 {worst:.1f} ms; target {args.target_ms:.0f} ms"
    )
    return 0 if worst < args.target_ms else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a city of ten districts on one installation — an average day's pace, then a storm.

    .venv/bin/python benchmarks/city_load.py [--average-seconds 60] [--storm-seconds 600]
        [--storm-rate 50] [--drain 300] [--quick]

Builds a fresh PostgreSQL database (liandong_bench_city, or LIANDONG_BENCH_DATABASE_URL), migrates
it, loads the defaults, and configures it as production would be: the city as a peer (its keys
stored encrypted under a random LIANDONG_SECRETS_KEY; reports going to the city's /reports, here a
local receiver that checks every signature and sequence, city_receiver.py), a WeCom robot for every
unit (the same receiver answers as WeCom does), an office dispatcher and a duty officer of each
tier-1 unit with API tokens. Then it runs the real processes: `liandong serve` as shipped (gunicorn,
one process per core) and two `liandong worker`, and plays:

- the city: signed intakes (the product's corpus, simulator.CitySender), open loop, at the ten
  districts' average of 3,000 incidents a day each (0.35/s) for --average-seconds, then the storm's
  --storm-rate (50/s) for --storm-seconds;
- the office: dispatches --dispatch-share of them through the API (level 1, a tier-1 primary unit,
  one in four with a cooperating unit) a few seconds after they arrive;
- the units: sign --sign-share of the primary instructions 5–60 s after dispatch, through the API.

Every --sample seconds it reads /metrics (the city report and notification backlogs, the watch's
oldest waiting step) and the resident memory (VmRSS) of every gunicorn process and both workers.
After the storm it waits until both backlogs are empty (at most --drain seconds). It prints the
intake's answers (count, errors, p50/p99), the dispatches' and signs', the watch's lateness over
every warning and breach fired in the run (events' late_ms, as benchmarks/watch.py), the backlog
over time, the drain time and the memory at rest, under the storm and after; and the verdict:
nothing falls behind = every intake answered 2xx, the backlogs drain, watch lateness p99 < 2 s.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import multiprocessing
import os
import queue
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from city_load_parts import Sample, memory, percentile, read_metrics, table
from city_receiver import serve as serve_receiver
from pg_database import fresh_database

LIANDONG = str(Path(sys.executable).with_name("liandong"))
CITY, DISTRICT = "shenyang-city", "bench-district"
CITY_SECRET, DISTRICT_SECRET = secrets.token_hex(24), secrets.token_hex(24)
PRIMARY_UNITS = ("ecology", "enforcement", "transport", "health", "emergency-svc")
CATEGORIES = ("noise", "pollution", "heating-leak", "municipal-pipes", "dangerous-house")


def configure(receiver_url: str) -> dict[str, str]:
    """The city peer, a robot per unit, the people and their API tokens; the raw tokens."""
    from liandong.accounts.models import Role, User
    from liandong.accounts.services import do_issue_api_token
    from liandong.citylink.models import CityPeer, KeyDirection
    from liandong.citylink.peers import do_add_peer_key
    from liandong.notifications.actions import do_set_robot_secrets
    from liandong.notifications.models import GroupRobot, RobotKind
    from liandong.units.models import Unit

    peer = CityPeer.objects.create(
        peer_id=CITY, reports_url=receiver_url, district_peer_id=DISTRICT
    )
    do_add_peer_key(peer=peer, direction=KeyDirection.INBOUND, secret=CITY_SECRET)
    do_add_peer_key(peer=peer, direction=KeyDirection.OUTBOUND, secret=DISTRICT_SECRET)
    for unit in Unit.objects.filter(active=True):
        robot = GroupRobot.objects.create(unit=unit, kind=RobotKind.WECOM, name="工作群")
        do_set_robot_secrets(robot=robot, url=f"{receiver_url}/robot?key={unit.code}", secret="")
    # The installation's triage model, trained this week as the worker does every seven days
    # (so no retraining falls into the run; what one would cost is printed).
    from liandong.triage.services import do_train_model

    began = time.monotonic()
    do_train_model(trained_by="压测前")
    print(f"triage model trained in {time.monotonic() - began:.1f} s (a worker's round when due)")
    tokens = {}
    office = User.objects.create(username="bench-office", role=Role.DISPATCHER)
    tokens["office"] = do_issue_api_token(user=office, name="压测")[1]
    for code in PRIMARY_UNITS:
        user = User.objects.create(
            username=f"bench-{code}", role=Role.DUTY_OFFICER, unit=Unit.objects.get(code=code)
        )
        tokens[code] = do_issue_api_token(user=user, name="压测")[1]
    return tokens


class Load:
    """The city, the office and the units, as threads sending real HTTP requests."""

    def __init__(self, base: str, tokens: dict[str, str], args: argparse.Namespace) -> None:
        from liandong.citylink.simulator import CitySender

        self.base, self.tokens, self.args = base, tokens, args
        self.sender = CitySender(district_url=base, peer_id=CITY, secret=CITY_SECRET, seed=13)
        self.random = random.Random(7)
        self.lock = threading.Lock()
        self.local = threading.local()
        self.intake: dict[str, list[tuple[int, float]]] = {"average": [], "storm": []}
        self.dispatches: list[tuple[int, float]] = []
        self.signs: list[tuple[int, float]] = []
        self.later: queue.PriorityQueue[tuple[float, int, str, Any]] = queue.PriorityQueue()
        self.order = itertools.count()
        self.intake_done = threading.Event()
        self.phase = "average"
        self.lag = 0.0  # the intake schedule's largest lag (the generator's own limit)

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def _timed(self, method: str, url: str, **kw: Any) -> tuple[int, float, Any]:
        began = time.perf_counter()
        try:
            answer = self.session().request(method, url, timeout=30, **kw)
            status, body = answer.status_code, answer
        except requests.RequestException:
            status, body = 0, None
        return status, (time.perf_counter() - began) * 1000, body

    def send_intake(self, phase: str) -> None:
        from liandong.citylink import signing

        with self.lock:
            payload = self.sender.next_incident()
            self.sender.pending_followups.clear()
            # a building's unit: the same corpus entry at another door (no false repeats)
            payload["address"] += f"{self.random.randint(1, 9)}单元{self.random.randint(1, 30)}号"
            dispatch = self.random.random() < self.args.dispatch_share
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = signing.signed_headers(CITY, CITY_SECRET, body, time.time())
        headers["Content-Type"] = "application/json"
        url = f"{self.base}/api/city/v1/incidents"
        status, ms, _ = self._timed("POST", url, data=body, headers=headers)
        with self.lock:
            self.intake[phase].append((status, ms))
        if status in (200, 201) and dispatch:
            self.later.put((time.monotonic() + 3, next(self.order), "dispatch", payload))

    def run_intake(self) -> None:
        """Open loop: each phase's arrivals at their moments, whatever the answers take."""
        args = self.args
        phases = [("average", args.average_seconds, args.average_rate)]
        phases.append(("storm", args.storm_seconds, args.storm_rate))
        with ThreadPoolExecutor(max_workers=96, thread_name_prefix="city") as pool:
            for phase, seconds, rate in phases:
                self.phase, began = phase, time.monotonic()
                for n in range(int(seconds * rate)):
                    delay = began + n / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    self.lag = max(self.lag, -delay)
                    pool.submit(self.send_intake, phase)
                rest = began + seconds - time.monotonic()
                if rest > 0:
                    time.sleep(rest)
        self.intake_done.set()

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Content-Type": "application/json"}

    def dispatch(self, payload: dict[str, Any]) -> None:
        with self.lock:
            unit = self.random.choice(PRIMARY_UNITS)
            body = {
                "incident_class": "linked_disposal",
                "level": 1,
                "category": self.random.choice(CATEGORIES),
                "primary_unit": unit,
                "cooperating_units": ["housing"] if self.random.random() < 0.25 else [],
            }
            sign = self.random.random() < self.args.sign_share
            delay = self.random.uniform(5, 60)
        url = f"{self.base}/api/v1/incidents/{payload['incident_id']}/dispatch"
        status, ms, answer = self._timed("POST", url, json=body, headers=self.auth("office"))
        with self.lock:
            self.dispatches.append((status, ms))
        if status == 200 and sign:
            primary = next(i for i in answer.json()["instructions"] if i["role"] == "primary")
            self.later.put((time.monotonic() + delay, next(self.order), unit, primary["id"]))

    def sign(self, unit: str, instruction: int) -> None:
        url = f"{self.base}/api/v1/instructions/{instruction}/sign"
        status, ms, _ = self._timed("POST", url, headers=self.auth(unit))
        with self.lock:
            self.signs.append((status, ms))

    def run_people(self) -> None:
        """The office's dispatchers and the units' duty officers, each item at its moment."""
        while not (self.intake_done.is_set() and self.later.empty()):
            try:
                item = self.later.get_nowait()
            except queue.Empty:
                time.sleep(0.05)
                continue
            due, _, what, thing = item
            if due > time.monotonic():  # not yet: back in its place, a look again soon
                self.later.put(item)
                time.sleep(0.05)
                continue
            if what == "dispatch":
                self.dispatch(thing)
            else:
                self.sign(what, thing)

    def pending(self) -> int:
        return self.later.qsize()

    def behind(self) -> float:
        """How late the most overdue waiting dispatch or sign is, in seconds (0: none overdue)."""
        with self.later.mutex:
            head = self.later.queue[0][0] if self.later.queue else None
        return max(0.0, time.monotonic() - head) if head is not None else 0.0


def process_env(home: str, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANDONG_")}
    env.update(
        LIANDONG_HOME=home,
        LIANDONG_DATABASE_URL=url,
        LIANDONG_SECRET_KEY=os.environ["LIANDONG_SECRET_KEY"],
        LIANDONG_SECRETS_KEY=os.environ["LIANDONG_SECRETS_KEY"],
        DJANGO_SETTINGS_MODULE="liandong.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def lateness(since: Any) -> list[float]:
    """late_ms of every warning and breach the watch fired since `since`, in seconds, sorted."""
    from liandong.incidents.models import Event

    rows = Event.objects.filter(
        kind__in=["deadline_warning", "deadline_overdue"], occurred_at__gte=since
    ).values_list("data", flat=True)
    return sorted(d["late_ms"] / 1000 for d in rows if d and "late_ms" in d)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--average-seconds", type=float, default=60)
    parser.add_argument("--average-rate", type=float, default=30_000 / 86_400)
    parser.add_argument("--storm-seconds", type=float, default=600)
    parser.add_argument("--storm-rate", type=float, default=50)
    parser.add_argument("--dispatch-share", type=float, default=0.5)
    parser.add_argument("--sign-share", type=float, default=0.8)
    parser.add_argument("--drain", type=float, default=300, help="seconds allowed to drain")
    parser.add_argument("--sample", type=float, default=5)
    parser.add_argument("--quick", action="store_true", help="20 s average, 60 s storm")
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    if args.quick:
        args.average_seconds, args.storm_seconds = 20, 60
    os.environ["LIANDONG_SECRET_KEY"] = secrets.token_urlsafe(40)
    os.environ["LIANDONG_SECRETS_KEY"] = secrets.token_urlsafe(40)
    url = fresh_database("liandong_bench_city")
    from django.db import connections

    from liandong import clock

    home = tempfile.mkdtemp(prefix="liandong-city-")
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    receiver = ctx.Process(
        target=serve_receiver, args=(args.port + 1, DISTRICT, DISTRICT_SECRET, ready, stop)
    )
    receiver.start()
    ready.wait(30)
    receiver_url = f"http://127.0.0.1:{args.port + 1}"
    tokens = configure(receiver_url)
    connections.close_all()
    env = process_env(home, url)
    logs = [open(Path(home) / f"{n}.log", "wb") for n in ("serve", "worker1", "worker2")]  # noqa: SIM115
    serve = subprocess.Popen(
        [LIANDONG, "serve", "--host", "127.0.0.1", "--port", str(args.port)],
        env=env, stdout=logs[0], stderr=subprocess.STDOUT,
    )  # fmt: skip
    workers = [
        subprocess.Popen([LIANDONG, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        for log in logs[1:]
    ]
    base = f"http://127.0.0.1:{args.port}"
    samples: list[Sample] = []
    try:
        wait_for(f"{base}/readyz")
        load = Load(base, tokens, args)
        time.sleep(3)  # the workers' first rounds
        rest = memory(serve.pid, [w.pid for w in workers])
        started_at, started = clock.now(), time.monotonic()
        print(f"installation ready (logs in {home}); memory at rest: {rest}", flush=True)
        threads = [threading.Thread(target=load.run_intake, daemon=True)]
        threads += [threading.Thread(target=load.run_people, daemon=True) for _ in range(24)]
        for t in threads:
            t.start()
        storm_end: float | None = None
        drained_at: float | None = None
        next_sample = started
        while True:
            now = time.monotonic()
            if now >= next_sample:
                sample = read_metrics(base, now - started, load.phase, serve.pid, workers)
                sample.people_waiting, sample.people_behind = load.pending(), load.behind()
                samples.append(sample)
                print(sample.line(), flush=True)
                next_sample += args.sample
                if storm_end is None and load.intake_done.is_set():
                    storm_end = now
                if storm_end is not None:
                    load.phase = "after"
                    if sample.drained and load.pending() == 0:
                        drained_at = now
                        break
                    if now - storm_end > args.drain:
                        break
            for proc in (serve, *workers):
                if proc.poll() is not None:
                    raise SystemExit(f"a product process exited ({proc.returncode}); see {home}")
            time.sleep(0.2)
        after = memory(serve.pid, [w.pid for w in workers])
        late = lateness(started_at)
        received = requests.get(f"{receiver_url}/stats", timeout=5).json()
    finally:
        for proc in (serve, *workers):
            proc.terminate()
        for proc in (serve, *workers):
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop.set()
        receiver.join(10)
    return report(load, samples, late, rest, after, received, storm_end, drained_at, args)


def report(
    load: Load,
    samples: list[Sample],
    late: list[float],
    rest: dict[str, float],
    after: dict[str, float],
    received: dict[str, Any],
    storm_end: float | None,
    drained_at: float | None,
    args: argparse.Namespace,
) -> int:
    rows: list[tuple[str, ...]] = []
    all_ok = True
    for name, answers in (
        *((f"intake ({phase})", a) for phase, a in load.intake.items()),
        ("dispatch by the office (API)", load.dispatches),
        ("sign by a unit (API)", load.signs),
    ):
        ms = sorted(m for _, m in answers)
        bad = collections.Counter(s for s, _ in answers if not 200 <= s < 300)
        all_ok &= not bad or not name.startswith("intake")
        rows.append(
            (name, f"{len(answers):,}",
             ", ".join(f"{n:,}×{s or 'no answer'}" for s, n in sorted(bad.items())) or "0",
             f"{percentile(ms, 0.5):.0f}",
             f"{percentile(ms, 0.99):.0f}", f"{ms[-1] if ms else 0:.0f}")
        )  # fmt: skip
    print()
    print(table(("requests", "answered", "errors", "p50 ms", "p99 ms", "max ms"), rows))
    gauge = max(s.watch_lateness for s in samples)
    p99 = percentile(late, 0.99) if late else gauge  # none fired: the /metrics gauge judges
    print(
        f"\nwatch: {len(late):,} warnings and breaches fired; lateness p50 "
        f"{percentile(late, 0.5):.2f} s, p99 {percentile(late, 0.99):.2f} s, max "
        f"{late[-1] if late else 0:.2f} s"
        + ("" if late else " (none fired: a level-1 sign warns 8 minutes after dispatch)")
    )
    storm = [s for s in samples if s.phase == "storm"]
    peak = max(samples, key=lambda s: s.reports + s.notifications)
    print(
        f"backlogs at their peak ({peak.at:.0f} s): city reports {peak.reports:,}, "
        f"notifications {peak.notifications:,}; watch's oldest waiting step at most {gauge:.1f} s"
    )
    drain = None if drained_at is None or storm_end is None else drained_at - storm_end
    print(
        "drained after the storm in "
        + (f"{drain:.0f} s" if drain is not None else f"NOT within {args.drain:.0f} s")
    )
    print(f"the city received: {json.dumps(received, ensure_ascii=False)}")
    print(
        f"the load generator's own lag: intake schedule at most {load.lag:.1f} s behind; "
        f"dispatches and signs at most {max(s.people_behind for s in samples):.1f} s behind"
    )
    under = {k: max(s.rss.get(k, 0.0) for s in storm) for k in rest} if storm else rest
    print()
    print(
        table(
            ("resident memory (MiB)", "at rest", "storm (max)", "after"),
            [(k, f"{rest[k]:.0f}", f"{under[k]:.0f}", f"{after.get(k, 0.0):.0f}") for k in rest],
        )
    )
    ok = all_ok and drain is not None and p99 < 2.0 and not received["gaps"]
    ok &= not received["bad_signatures"]
    print("\nnothing falling behind (intake all 2xx, backlogs drained, watch p99 < 2 s):",
          "yes" if ok else "NO")  # fmt: skip
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())

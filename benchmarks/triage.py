"""Benchmark: how long a triage proposal takes, on this machine, next to its floor.

    .venv/bin/python benchmarks/triage.py [--rounds 300]

Builds a fresh SQLite installation (migrate, load_defaults) in a temporary folder, then times for
each of the held-out descriptions shipped with the product:

- the floor: the least any text classifier of this kind must do — turn one text into its TF-IDF
  row and score it with one linear model (the category's), nothing else;
- the model: the three questions, their reasons and the escalation rules (`proposal.propose`);
- the whole proposal as the API makes it: the model, the catalogue's units and the street of
  jurisdiction from the database (`selectors.propose_text`);
- `POST /api/v1/triage/propose` through Django's test client, with the repeat-call candidates.

Prints median, p95 and p99 of each and the ratio to the floor. Target: a proposal under 20 ms."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from fresh import fresh_installation


def _times(action: Callable[[int], object], rounds: int) -> list[float]:
    out = []
    for i in range(rounds):
        started = time.perf_counter()
        action(i)
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def _line(name: str, times: list[float], floor: float) -> str:
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    p99 = times[int(len(times) * 0.99) - 1]
    return f"{name:38s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  ×floor {p50 / floor:5.1f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--target-ms", type=float, default=20.0)
    args = parser.parse_args()
    fresh_installation()
    from django.test import Client

    from liandong.accounts.models import Role, User
    from liandong.triage import data
    from liandong.triage.learn import category_text
    from liandong.triage.proposal import StreetAnswer, propose
    from liandong.triage.selectors import catalogue, propose_text, shipped_model

    _, held_out = data.split(data.shipped())
    texts = [held_out[i % len(held_out)] for i in range(args.rounds)]
    started = time.perf_counter()
    model = shipped_model()
    print(f"model trained from the shipped examples in {time.perf_counter() - started:.1f} s")
    head = model.category
    entries = catalogue()
    nowhere = StreetAnswer(None, None, "")
    dispatcher = User.objects.create_user("bench", role=Role.DISPATCHER)
    client = Client()
    client.force_login(dispatcher)

    def floor(i: int) -> object:
        return head.classifier.decision_function(
            head.vectorizer.transform([category_text(texts[i])])
        )

    def model_only(i: int) -> object:
        return propose(model, texts[i], entries, nowhere)

    def whole(i: int) -> object:
        e = texts[i]
        return propose_text(content=e.content, address=e.address, police=e.police)

    def api(i: int) -> object:
        e = texts[i]
        response = client.post(
            "/api/v1/triage/propose",
            {"content": e.content, "address": e.address, "caller_phone": "13800000000"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return response

    for action in (floor, model_only, whole, api):  # warm up
        action(0)
    floor_times = _times(floor, args.rounds)
    base = statistics.median(floor_times)
    print(_line("floor (TF-IDF row + one linear model)", floor_times, base))
    results = {
        "model (3 questions, reasons, rules)": _times(model_only, args.rounds),
        "proposal (+ catalogue, street)": _times(whole, args.rounds),
        "POST /api/v1/triage/propose": _times(api, args.rounds),
    }
    for name, times in results.items():
        print(_line(name, times, base))
    worst = max(times[int(len(times) * 0.99) - 1] for times in results.values())
    verdict = "met" if worst < args.target_ms else "NOT met"
    print(
        f"target: every proposal p99 under {args.target_ms:.0f} ms — {verdict} (worst p99 {worst:.1f} ms)"
    )
    return 0 if worst < args.target_ms else 1


if __name__ == "__main__":
    sys.exit(main())

"""The monthly score of a unit, as pure arithmetic over its statistics (tested by tables).

Score = the weighted mean of the unit's rates that apply to it (an indicator with nothing to count
that month, e.g. no caller to call, is left out and its weight with it), on a 100-point scale,
minus penalties per urge, per supervision order and per late written answer; never below 0.

Why these defaults (administrators change them, with history): the three time limits the plan
sets for every unit carry most weight (sign 25, result 25, first feedback 15); calling the caller
back, which only tier-1 primaries must do, 10; the caller's satisfaction at the call-back 10.
Urges (0.5 each), supervision orders (2 each) and late answers to them (3 each) are deducted:
they measure what the office had to do to get the work done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Weights:
    sign: float = 25
    feedback: float = 15
    result: float = 25
    contact: float = 10
    satisfaction: float = 10
    per_urge: float = 0.5
    per_supervision: float = 2
    per_late_answer: float = 3


RATE_WEIGHTS = (
    ("sign_rate", "sign"),
    ("feedback_rate", "feedback"),
    ("result_rate", "result"),
    ("contact_rate", "contact"),
    ("satisfaction_rate", "satisfaction"),
)


def score(figures: dict[str, Any], weights: Weights) -> float | None:
    """The unit's score, or None when no rate applies (nothing was dispatched to it)."""
    total = weighted = 0.0
    for key, name in RATE_WEIGHTS:
        value = figures.get(key)
        weight = float(getattr(weights, name))
        if value is None or weight <= 0:
            continue
        total += weight
        weighted += weight * float(value)
    if total == 0:
        return None
    urges = (figures.get("urges_office") or 0) + (figures.get("urges_city") or 0)
    penalty = (
        urges * weights.per_urge
        + (figures.get("supervisions") or 0) * weights.per_supervision
        + (figures.get("supervisions_late") or 0) * weights.per_late_answer
    )
    return round(max(0.0, weighted / total - penalty), 1)


def rank_within_tiers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with `tier` and `score` get `rank` within their tier (highest score first; equal
    scores share a rank; units without a score come last, unranked)."""
    ranked: list[dict[str, Any]] = []
    for tier in sorted({r["tier"] for r in rows}):
        group = sorted(
            (r for r in rows if r["tier"] == tier),
            key=lambda r: (r["score"] is None, -(r["score"] or 0), r["label"]),
        )
        previous: float | None = None
        rank = 0
        for position, row in enumerate(group, 1):
            if row["score"] is None:
                ranked.append({**row, "rank": None})
                continue
            if row["score"] != previous:
                rank, previous = position, row["score"]
            ranked.append({**row, "rank": rank})
    return ranked

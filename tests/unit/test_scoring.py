"""The monthly score and the ranking within tiers, as tables (pure, no database)."""

from __future__ import annotations

import pytest

from liandong.assessment.scoring import Weights, rank_within_tiers, score

W = Weights()
FULL = {
    "sign_rate": 100.0,
    "feedback_rate": 100.0,
    "result_rate": 100.0,
    "contact_rate": 100.0,
    "satisfaction_rate": 100.0,
}


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (FULL, 100.0),
        ({**FULL, "sign_rate": 0.0}, 70.6),  # 25 of 85 points lost: 60/85
        ({**FULL, "contact_rate": None}, 100.0),  # not applicable: weight left out
        ({"sign_rate": 50.0}, 50.0),
        ({**FULL, "urges_office": 2, "urges_city": 2}, 98.0),
        ({**FULL, "supervisions": 1, "supervisions_late": 1}, 95.0),
        ({"sign_rate": 0.0, "supervisions": 10}, 0.0),  # never below zero
        ({}, None),  # nothing dispatched: no score
        ({key: None for key in FULL}, None),
    ],
)
def test_the_score_is_the_weighted_mean_of_the_rates_that_apply_less_penalties(figures, expected):
    assert score(figures, W) == expected


def test_weights_of_zero_leave_an_indicator_out():
    assert score({**FULL, "sign_rate": 0.0}, Weights(sign=0)) == 100.0


def test_units_are_ranked_within_their_tier_with_ties_sharing_a_rank():
    rows = [
        {"tier": 1, "label": "甲", "score": 90.0},
        {"tier": 1, "label": "乙", "score": 95.0},
        {"tier": 1, "label": "丙", "score": 90.0},
        {"tier": 1, "label": "丁", "score": None},
        {"tier": 2, "label": "戊", "score": 60.0},
    ]
    ranked = [(r["tier"], r["label"], r["rank"]) for r in rank_within_tiers(rows)]
    assert ranked == [(1, "乙", 1), (1, "丙", 2), (1, "甲", 2), (1, "丁", None), (2, "戊", 1)]

"""`liandong seed-history`: a past made through the real actions, with late units, returns, urges
and call-backs in it, and nothing dated after now."""

from __future__ import annotations

from liandong import clock
from liandong.demo_history import seed_history
from liandong.incidents.models import CallBack, Event, Incident, ReturnRequest, Urge
from liandong.stats.services import statistics


def test_a_week_of_history_through_the_real_actions(db, frozen_at):
    frozen_at("2026-11-30T09:00:00+08:00")
    made = seed_history(days=7, per_day=8, seed=3)
    assert made >= 30 and Incident.objects.count() == made
    assert not Event.objects.filter(occurred_at__gt=clock.now()).exists()
    assert CallBack.objects.exists() and Urge.objects.exists()
    assert ReturnRequest.objects.exists() or made < 40
    week = statistics(
        start=clock.now().replace(day=23, hour=0, minute=0), end=clock.now(), by="tier"
    )["total"]
    assert 50 <= week["sign_rate"] < 100  # mostly in time, some late
    assert week["instructions"] > week["incidents"]

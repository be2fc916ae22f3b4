"""The life of an outbound report to the city: the outbox's table (one delivery mechanism)."""

from __future__ import annotations

from liandong.outbox.lifecycle import OUTBOX

REPORT = OUTBOX

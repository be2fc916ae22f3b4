"""Reads for repeat calls (重复来电): the open incidents a call may be merged into, each with the
reason and the similarity (the rules: repeats.py).

The database narrows first: open incidents (those the lifecycle lets absorb a repeat) received
within `LIANDONG_REPEAT_WINDOW_HOURS` of the call, the nearest in time first, at most
`MAX_SCANNED` of them, plus every open one in the window with the same stored number (an index on
the caller's number, so a busy day never pushes a same-number call out). Python scores those.

These are the office's reads (callers check the seat: the page and the API offer them only with
the merge action). The reason never names the caller's number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q

from liandong import clock
from liandong.incidents import repeats
from liandong.incidents.lifecycle import INCIDENT
from liandong.incidents.models import Incident

#: The states an incident may be merged into: those the lifecycle lets absorb a repeat call.
MERGEABLE_STATES = tuple(
    sorted(s for s in INCIDENT.states() if INCIDENT.allows(s, "absorb_repeat"))
)
#: The most incidents of a window scored in Python.
MAX_SCANNED = 300


@dataclass(frozen=True)
class RepeatCandidate:
    incident: Incident
    reason: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        """The API's view: no address, no number, only what identifies the incident and why."""
        return {
            "incident_id": self.incident.incident_id,
            "received_at": clock.iso(self.incident.received_at),
            "reason": self.reason,
            "similarity": self.similarity,
        }


def window() -> timedelta:
    return timedelta(hours=settings.LIANDONG_REPEAT_WINDOW_HOURS)


def _phone_forms(caller_phone: str) -> set[str]:
    """The stored forms a number may have been written in (exact matches use the index)."""
    digits = repeats.phone_digits(caller_phone)
    if len(digits) < repeats.MIN_PHONE_DIGITS:
        return set()
    return {caller_phone.strip(), digits, f"+86{digits}", f"+86 {digits}", f"86{digits}"}


def repeat_candidates_for(
    *,
    content: str,
    address: str,
    caller_phone: str,
    received_at: datetime | None,
    exclude_id: int | None = None,
    limit: int = 5,
    now: datetime | None = None,
) -> list[RepeatCandidate]:
    """The open incidents a call (an incident, or a text not yet one) may be a repeat of, the most
    similar first. `received_at` defaults to now; `exclude_id` is the incident's own primary key."""
    now = now or clock.now()
    at = received_at or now
    span = window()
    rows = Incident.objects.filter(
        status__in=MERGEABLE_STATES, received_at__gte=at - span, received_at__lte=at + span
    )
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    # the nearest MAX_SCANNED in time, and every one from the same number, in one query
    wanted = Q(pk__in=rows.order_by("-received_at").values("pk")[:MAX_SCANNED])
    forms = _phone_forms(caller_phone)
    if forms:
        wanted |= Q(caller_phone__in=forms)
    call = repeats.Call(content, address, caller_phone, at)
    found = []
    for incident in rows.filter(wanted):
        other = repeats.Call(
            incident.content, incident.address, incident.caller_phone, incident.received_at
        )
        scored = repeats.score(call, other)
        if scored is not None:
            found.append(RepeatCandidate(incident, scored.reason, scored.similarity))
    found.sort(key=lambda c: (-c.similarity, -c.incident.received_at.timestamp()))
    return found[:limit]


def repeat_candidates(
    incident: Incident, *, now: datetime | None = None, limit: int = 5
) -> list[RepeatCandidate]:
    """The open incidents, other than this one, it may be a repeat call of."""
    return repeat_candidates_for(
        content=incident.content,
        address=incident.address,
        caller_phone=incident.caller_phone,
        received_at=incident.received_at,
        exclude_id=incident.pk,
        limit=limit,
        now=now,
    )

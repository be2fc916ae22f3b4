"""The one lock order. Every action and worker takes row locks only through these functions:

    incident → instruction → request → deadline → attachment

Two incidents (a merge) are locked in ascending primary key. City-report rows are locked only while
their incident is held (a report is written or resent) or alone (a delivery attempt), never the
other way round. Locking an incident records its city receipt if that is still pending
(receipts.py). Inserting a row that references an incident (an event, a report) takes a key-share
lock on it in PostgreSQL, so an action that will append an event must hold its incident first: the
deadline watch therefore locks the incident and the instruction before the deadline, exactly as a
sign or an accept does, and the two can only queue, never deadlock.

The calendar recompute (recompute.py) takes its chunk's row first and its job's row last (to add
its counts); it takes incidents with SKIP LOCKED and leaves a held one's deadlines for a later
chunk, so it never waits for a person or another worker. It locks nothing below the incidents:
since every writer of a deadline holds the deadline's incident (through the functions here),
the deadlines it reads under its incidents' locks stay as read until it commits. Splitting a job into chunks holds the
job's row alone.

A function that locks a child reads the parent's key without a lock, locks the parent, then the
child, and finally re-reads the child: whatever it returns reflects the committed state.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from liandong.incidents.actions.receipts import record_receipts
from liandong.incidents.models import (
    Attachment,
    Deadline,
    ExtensionRequest,
    Incident,
    Instruction,
    JoinRequest,
    ReturnRequest,
)


def lock_incident(incident: Incident | int) -> Incident:
    """The incident, locked; a city hand-over's receipt still pending is recorded first, so
    whatever the caller appends comes after it on the timeline (receipts.py)."""
    pk = incident if isinstance(incident, int) else incident.pk
    locked = Incident.objects.select_for_update().get(pk=pk)
    record_receipts([locked])
    return locked


def lock_incidents(*pks: int) -> dict[int, Incident]:
    """Several incidents at once, in ascending primary key (a merge holds two)."""
    locked: dict[int, Incident] = {}
    for pk in sorted(set(pks)):
        locked[pk] = Incident.objects.select_for_update().get(pk=pk)
    record_receipts(list(locked.values()))
    return locked


def lock_instruction(instruction: Instruction | int) -> Instruction:
    """The instruction's incident, then the instruction; returned with both loaded."""
    pk = instruction if isinstance(instruction, int) else instruction.pk
    incident_pk = Instruction.objects.values_list("incident_id", flat=True).get(pk=pk)
    Incident.objects.select_for_update().filter(pk=incident_pk).exists()
    Instruction.objects.select_for_update().filter(pk=pk).exists()
    return Instruction.objects.select_related("incident", "unit").get(pk=pk)


_Request = TypeVar("_Request", ExtensionRequest, JoinRequest, ReturnRequest)


def lock_request(model: type[_Request], request: _Request | int) -> tuple[Instruction, _Request]:
    """Incident → instruction → the request."""
    pk = request if isinstance(request, int) else request.pk
    instruction_pk = model.objects.values_list("instruction_id", flat=True).get(pk=pk)
    instruction = lock_instruction(instruction_pk)
    return instruction, model.objects.select_for_update().get(pk=pk)


def lock_deadline(deadline: Deadline | int) -> tuple[Instruction, Deadline]:
    """Incident → instruction → the deadline (the watch and the calendar recompute use this)."""
    pk = deadline if isinstance(deadline, int) else deadline.pk
    instruction_pk = Deadline.objects.values_list("instruction_id", flat=True).get(pk=pk)
    instruction = lock_instruction(instruction_pk)
    return instruction, Deadline.objects.select_for_update().get(pk=pk)


def lock_deadlines_of(instruction: Instruction, **filters: object) -> list[Deadline]:
    """An instruction's deadlines (the caller holds the instruction), ordered by primary key."""
    return list(
        Deadline.objects.select_for_update()
        .filter(instruction=instruction, **filters)  # type: ignore[misc]
        .order_by("pk")
    )


def lock_attachments(pks: list[int]) -> list[Attachment]:
    """Attachments last, in ascending primary key (the caller holds their instruction)."""
    return list(Attachment.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


def locked_rows(queryset: models.QuerySet[Instruction]) -> list[Instruction]:
    """Instructions of one incident whose incident the caller holds, locked in ascending key."""
    return list(queryset.select_for_update().order_by("pk"))

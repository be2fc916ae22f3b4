"""The office's deadline board: one row per incident, a chip per unit still working on it with
its state and nearest clock, ordered in the database by the nearest running clock of any of them.
The Excel export keeps one row per instruction (what a spreadsheet is filtered by)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Max, Min, Prefetch, Q, QuerySet
from django.http import HttpRequest

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import access
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES
from liandong.incidents.models import Deadline, DeadlineState, Incident, Instruction
from liandong.web.common import BoardRow, board_row, user_of

#: A deadline whose clock runs (open and not paused): the board and the workbench sort by the
#: nearest one.
RUNNING_CLOCK = Q(deadlines__state=DeadlineState.OPEN, deadlines__paused_at__isnull=True)

BOARD_ROWS = 40
BOARD_ROWS_ALL = 300
EXPORT_ROWS = 10_000
FILTERS = ("unit", "level", "category", "street", "sort")


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    chips: list[BoardRow]  #: its open instructions (of the filter), the most urgent first
    nearest: BoardRow  #: the chip whose clock runs out first

    @property
    def status(self) -> str:
        return self.nearest.status


def filters_of(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "") for k in FILTERS}


def open_instructions(user: User, filters: dict[str, str]) -> QuerySet[Instruction]:
    """The open instructions this user sees, filtered as the board's form says."""
    qs = access.visible_instructions(user).exclude(state__in=FINAL_INSTRUCTION_VALUES)
    if filters["unit"]:
        qs = qs.filter(unit__code=filters["unit"])
    if filters["level"] in ("1", "2"):
        qs = qs.filter(level=int(filters["level"]))
    if filters["category"]:
        qs = qs.filter(incident__category__code=filters["category"])
    if filters["street"]:
        qs = qs.filter(incident__street__code=filters["street"])
    return qs


def _with_open_deadlines(qs: QuerySet[Instruction]) -> QuerySet[Instruction]:
    return qs.select_related("incident", "unit", "incident__category").prefetch_related(
        Prefetch("deadlines", queryset=Deadline.objects.filter(state=DeadlineState.OPEN))
    )


def board(request: HttpRequest) -> tuple[list[IncidentRow], int, dict[str, str]]:
    """Incidents with open instructions, the nearest running clock first (or the latest
    dispatched), grouped and paged in the database; the rows, how many there are, the filters."""
    filters = filters_of(request)
    instructions = open_instructions(user_of(request), filters)
    total = instructions.values("incident").distinct().count()
    limit = BOARD_ROWS_ALL if request.GET.get("all") else BOARD_ROWS
    order = (
        _nearest_first(instructions, limit) if filters["sort"] != "dispatched" else None
    ) or _grouped_order(instructions, filters["sort"], limit)
    now = clock.now()
    chips: dict[int, list[BoardRow]] = {pk: [] for pk in order}
    for inst in _with_open_deadlines(instructions.filter(incident__in=order)).order_by("id"):
        chips[inst.incident_id].append(board_row(inst, now))
    rows = []
    for pk in order:
        units = sorted(chips[pk], key=lambda r: (r.seconds_left, r.instruction.pk))
        if units:
            rows.append(
                IncidentRow(incident=units[0].instruction.incident, chips=units, nearest=units[0])
            )
    return rows, total, filters


def _grouped_order(instructions: QuerySet[Instruction], sort: str, limit: int) -> list[int]:
    """The board's incidents in order, by grouping every open instruction (for the order by
    dispatch time, and when few clocks run)."""
    grouped = instructions.values("incident").annotate(
        next_due=Min("deadlines__due_at", filter=RUNNING_CLOCK), latest=Max("dispatched_at")
    )
    if sort == "dispatched":
        grouped = grouped.order_by("-latest", "-incident")
    else:
        grouped = grouped.order_by(F("next_due").asc(nulls_last=True), "incident")
    return [row["incident"] for row in grouped[:limit]]


def _nearest_first(instructions: QuerySet[Instruction], limit: int) -> list[int] | None:
    """The first `limit` incidents by their nearest running clock, read by walking the running
    clocks in due order (an index: milliseconds with 100,000 open) instead of grouping them
    all. None when fewer than `limit` incidents have a running clock: the rest, without one,
    come after in incident order, and the grouped query says which."""
    clocks = (
        Deadline.objects.filter(
            state=DeadlineState.OPEN, paused_at__isnull=True, instruction__in=instructions
        )
        .order_by("due_at", "instruction__incident_id")
        .values_list("instruction__incident_id", flat=True)
    )
    order: dict[int, None] = {}
    step = limit * 4
    for start in range(0, 50 * step, step):
        batch = list(clocks[start : start + step])
        order.update(dict.fromkeys(batch))
        if len(order) >= limit:
            return list(order)[:limit]
        if len(batch) < step:
            return None
    return None


def export_rows(request: HttpRequest) -> tuple[list[BoardRow], dict[str, str]]:
    """For the Excel export: one row per open instruction, the nearest running clock first."""
    filters = filters_of(request)
    qs = open_instructions(user_of(request), filters)
    if filters["sort"] == "dispatched":
        qs = qs.order_by("-dispatched_at", "-id")
    else:
        qs = qs.annotate(next_due=Min("deadlines__due_at", filter=RUNNING_CLOCK)).order_by(
            F("next_due").asc(nulls_last=True), "id"
        )
    now = clock.now()
    return [board_row(inst, now) for inst in _with_open_deadlines(qs)[:EXPORT_ROWS]], filters

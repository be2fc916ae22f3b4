"""The set-based facts (PostgreSQL): one INSERT … SELECT per range of incidents for `liandong
rebuild_stats_facts` after a bulk load of millions of rows, and per batch of queued incidents for
the worker's refresh (only the facts that changed are written, and their days returned); for the
incidents a calendar recompute queued, the refresh of their open deadlines' due moments alone.

It writes exactly the rows `facts._rebuild` (the Python refresh, the one source of truth, which
SQLite runs) writes; tests/api/test_stats_facts.py builds the facts both ways and compares them:
- deadlines met and missed per kind, requests and urges: counted per instruction;
- a call-back that reached the caller counts once, for the latest primary instruction of its
  incident dispatched before it, else the incident's first primary (facts._count_callbacks);
- minutes from dispatch to each stage: the exact seconds (PostgreSQL's numeric epoch) as a double,
  divided by 60, as Python's `timedelta.total_seconds() / 60`;
- the open deadlines' due moments per kind, and the previous instruction's dispatch moment (a
  window over the incident's instructions in dispatch order, then key; facts._previous).
The values in the SQL are the code's own enumerations, never user input."""

from __future__ import annotations

from datetime import date

from django.db import connection

from liandong import clock
from liandong.incidents.lifecycle import DeadlineState, RequestState
from liandong.incidents.models import REACHED, Role
from liandong.stats.definitions import KINDS
from liandong.stats.facts import GOOD, PREVIOUS, STAGES
from liandong.stats.models import InstructionFact

APPROVED = RequestState.APPROVED
OPEN = DeadlineState.OPEN
#: Per instruction, grouped from one table: alias → (table, {column: aggregate}).
COUNTS: dict[str, tuple[str, dict[str, str]]] = {
    "dl": (
        "incidents_deadline",
        {
            f"{kind}_{outcome}": f"count(*) FILTER (WHERE kind = '{kind}' AND state = '{state}')"
            for kind in KINDS
            for outcome, state in (("met", DeadlineState.MET), ("missed", DeadlineState.MISSED))
        }
        | {
            f"{kind}_due": f"max(due_at) FILTER (WHERE kind = '{kind}' AND state = '{OPEN}')"
            for kind in KINDS
        },
    ),
    "ret": (
        "incidents_returnrequest",
        {
            "returns_asked": "count(*)",
            "returns_granted": f"count(*) FILTER (WHERE state = '{APPROVED}')",
        },
    ),
    "joi": ("incidents_joinrequest", {"joins_asked": "count(*)"}),
    "ext": (
        "incidents_extensionrequest",
        {
            "extensions_asked": "count(*)",
            "extensions_granted": f"count(*) FILTER (WHERE state = '{APPROVED}')",
        },
    ),
    "urg": (
        "incidents_urge",
        {
            "urges_office": "count(*) FILTER (WHERE NOT by_city)",
            "urges_city": "count(*) FILTER (WHERE by_city)",
        },
    ),
}
CALLBACK_COUNTS = ("called_back", "satisfied", "reopened")

#: Each fact column → its value.
VALUES: dict[str, str] = {
    "instruction_id": "ins.id",
    "incident_id": "ins.incident_id",
    "dispatched_at": "ins.dispatched_at",
    "primary": f"ins.role = '{Role.PRIMARY}'",
    "unit_id": "ins.unit_id",
    "tier": "ins.tier",
    "level": "ins.level",
    "category_id": "inc.category_id",
    "street_id": "inc.street_id",
    "incident_class": "COALESCE(inc.incident_class, '')",
    **{
        f"{stage}_minutes": f"EXTRACT(EPOCH FROM ins.{moment} - ins.dispatched_at)::float8 / 60"
        for stage, moment in STAGES
    },
    **{
        column: f"{alias}.{column}" if column.endswith("_due") else f"COALESCE({alias}.{column}, 0)"
        for alias, (_, aggregates) in COUNTS.items()
        for column in aggregates
    },
    **{
        column: "lag(ins.dispatched_at) OVER (PARTITION BY "
        + ", ".join(["ins.incident_id", *(f"ins.{name}" for name in shared)])
        + " ORDER BY ins.dispatched_at, ins.id)"
        for column, shared in PREVIOUS.items()
    },
    **{column: f"COALESCE(cb.{column}, 0)" for column in CALLBACK_COUNTS},
}
COLUMNS = [f.column for f in InstructionFact._meta.concrete_fields]
assert set(VALUES) == set(COLUMNS), set(VALUES) ^ set(COLUMNS)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


#: Which incidents a statement covers: a range of keys (the rebuild), or a list (the refresh).
RANGE = "{column} BETWEEN %(low)s AND %(high)s"
LISTED = "{column} = ANY(%(ids)s)"
PRIMARY = f"p.incident_id = cb.incident_id AND p.role = '{Role.PRIMARY}'"
#: The columns an upsert replaces (all but the instruction's key).
UPDATED = [c for c in VALUES if c != "instruction_id"]


def _upsert(incidents: str) -> str:
    """INSERT … SELECT … ON CONFLICT DO UPDATE of the facts of the instructions of `incidents`
    (RANGE or LISTED), in instruction key order."""
    chunk = "SELECT id FROM incidents_instruction WHERE " + incidents.format(column="incident_id")
    grouped = "".join(
        f"""LEFT JOIN (
    SELECT instruction_id, {", ".join(f"{sql} AS {column}" for column, sql in aggregates.items())}
    FROM {table} WHERE instruction_id IN ({chunk}) GROUP BY instruction_id
) {alias} ON {alias}.instruction_id = ins.id
"""
        for alias, (table, aggregates) in COUNTS.items()
    )
    callbacks = f"""LEFT JOIN (
    SELECT target.id AS instruction_id, count(*) AS called_back,
        count(*) FILTER (WHERE cb.satisfaction IN ({_in(GOOD)})) AS satisfied,
        count(*) FILTER (WHERE cb.reopened) AS reopened
    FROM incidents_callback cb
    CROSS JOIN LATERAL (SELECT COALESCE(
        (SELECT p.id FROM incidents_instruction p WHERE {PRIMARY}
            AND p.dispatched_at < cb.created_at ORDER BY p.dispatched_at DESC, p.id DESC LIMIT 1),
        (SELECT p.id FROM incidents_instruction p WHERE {PRIMARY}
            ORDER BY p.dispatched_at, p.id LIMIT 1)) AS id) target
    WHERE {incidents.format(column="cb.incident_id")} AND cb.satisfaction IN ({_in(REACHED)})
    GROUP BY target.id
) cb ON cb.instruction_id = ins.id
"""
    return f"""INSERT INTO stats_instructionfact ({", ".join(f'"{c}"' for c in VALUES)})
SELECT {", ".join(VALUES.values())}
FROM incidents_instruction ins
JOIN incidents_incident inc ON inc.id = ins.incident_id
{grouped}{callbacks}WHERE {incidents.format(column="ins.incident_id")}
ORDER BY ins.id
ON CONFLICT (instruction_id) DO UPDATE SET
    {", ".join(f'"{c}" = EXCLUDED."{c}"' for c in UPDATED)}"""


REBUILD = _upsert(RANGE)
#: The refresh writes only the facts that differ from the stored ones (compared under the row's
#: lock, as facts._rebuild compares them) and returns the Beijing day of each one written.
REFRESH = (
    _upsert(LISTED)
    + f"""
    WHERE ({", ".join(f'stats_instructionfact."{c}"' for c in UPDATED)})
        IS DISTINCT FROM ({", ".join(f'EXCLUDED."{c}"' for c in UPDATED)})
RETURNING (stats_instructionfact.dispatched_at AT TIME ZONE %(zone)s)::date"""
)


#: The open deadlines' due moments of the facts of the instructions of incidents (LISTED), for a
#: calendar recompute that moved them and nothing else: the facts are locked in key order first
#: (as the upsert above locks them, so two refreshes wait for each other, never deadlock), and
#: only those whose moments differ are written; their Beijing days of dispatch are returned.
DUE_COLUMNS = [f"{kind}_due" for kind in KINDS]
REFRESH_DUES = f"""WITH locked AS (
    SELECT instruction_id FROM stats_instructionfact
    WHERE instruction_id IN (SELECT id FROM incidents_instruction WHERE incident_id = ANY(%(ids)s))
    ORDER BY instruction_id FOR UPDATE
), due AS (
    SELECT instruction_id, {", ".join(f"{COUNTS['dl'][1][c]} AS {c}" for c in DUE_COLUMNS)}
    FROM incidents_deadline WHERE instruction_id IN (SELECT instruction_id FROM locked)
    GROUP BY instruction_id
)
UPDATE stats_instructionfact f SET {", ".join(f"{c} = d.{c}" for c in DUE_COLUMNS)}
FROM locked LEFT JOIN due d USING (instruction_id)
WHERE f.instruction_id = locked.instruction_id
    AND ({", ".join(f"f.{c}" for c in DUE_COLUMNS)}) IS DISTINCT FROM
        ({", ".join(f"d.{c}" for c in DUE_COLUMNS)})
RETURNING (f.dispatched_at AT TIME ZONE %(zone)s)::date"""


#: The facts of the instructions of incidents (LISTED), locked in key order: a batch that refreshes
#: some incidents whole and others for their due moments takes its locks in one order first.
LOCK = """SELECT 1 FROM stats_instructionfact
WHERE instruction_id IN (SELECT id FROM incidents_instruction WHERE incident_id = ANY(%(ids)s))
ORDER BY instruction_id FOR UPDATE"""


def lock_facts(incidents: list[int]) -> None:
    """Lock the facts of `incidents` (keys) in key order, in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(LOCK, {"ids": incidents})


def refresh_dues(incidents: list[int]) -> set[date]:
    """The due moments of the facts of `incidents` (keys), in the caller's transaction: those
    that changed are written; the Beijing days of dispatch of those written."""
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_DUES, {"ids": incidents, "zone": clock.BEIJING.key})
        return {day for (day,) in cursor.fetchall()}


def rebuild_range(low: int, high: int) -> int:
    """Replace the facts of the instructions of incidents `low`..`high` (keys, inclusive), in the
    caller's transaction; the number written."""
    with connection.cursor() as cursor:
        cursor.execute(REBUILD, {"low": low, "high": high})
        return cursor.rowcount


def refresh_incidents(incidents: list[int]) -> set[date]:
    """The facts of the instructions of `incidents` (keys), in the caller's transaction: those
    that changed are written; the Beijing days of dispatch of those written."""
    with connection.cursor() as cursor:
        cursor.execute(REFRESH, {"ids": incidents, "zone": clock.BEIJING.key})
        return {day for (day,) in cursor.fetchall()}


def written_days(low: int, high: int) -> set[date]:
    """The Beijing days of dispatch of the instructions of incidents `low`..`high`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT (dispatched_at AT TIME ZONE %(zone)s)::date"
            " FROM incidents_instruction WHERE incident_id BETWEEN %(low)s AND %(high)s",
            {"low": low, "high": high, "zone": clock.BEIJING.key},
        )
        return {day for (day,) in cursor.fetchall()}

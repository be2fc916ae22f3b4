"""Row counts and checksums of every table, and the migration state, read through the vendor's own
DB-API driver (sqlite3 or psycopg) rather than Django's, so that the same rows give the same
checksum whether they are read from the backup copy, inside pg_dump's snapshot, or after restore.

A table's checksum is the SHA-256 of its rows in primary-key order, one canonical JSON line per
row. It is reproducible on the same vendor (not across vendors: SQLite keeps a date as text,
PostgreSQL as a date)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from typing import Any

#: Rows read per round trip.
CHUNK = 2000


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _default(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"hex": bytes(value).hex()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)  # Decimal, UUID, intervals, ...


def row_line(row: Sequence[Any]) -> bytes:
    """One row, serialised canonically (a JSON list; nested JSON with sorted keys)."""
    text = json.dumps(
        list(row), default=_default, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return text.encode() + b"\n"


def sqlite_layout(con: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table of a SQLite database with its primary-key columns (in key order)."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    layout = {}
    for name in names:
        columns = con.execute(f"PRAGMA table_info({quote(name)})").fetchall()
        layout[name] = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5] > 0]
    return layout


def postgresql_layout(con: Any) -> dict[str, list[str]]:
    """Every table of the connection's current schema with its primary-key columns."""
    with con.cursor() as cur:
        cur.execute(
            "SELECT c.relname, c.oid FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY 1"
        )
        tables = cur.fetchall()
        layout = {}
        for name, oid in tables:
            cur.execute(
                "SELECT a.attname FROM pg_index i "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                (oid,),
            )
            layout[name] = [r[0] for r in cur.fetchall()]
    return layout


def _rows(vendor: str, con: Any, sql: str) -> Iterator[Sequence[Any]]:
    if vendor == "sqlite":
        cur = con.execute(sql)
    else:
        # A server-side cursor: a big table is streamed, not loaded whole.
        cur = con.cursor(name="liandong_table_stats")
        cur.execute(sql)
    try:
        while chunk := cur.fetchmany(CHUNK):
            yield from chunk
    finally:
        cur.close()


def _order_by(vendor: str, con: Any, table: str, key: list[str]) -> str:
    if key:
        return ", ".join(quote(c) for c in key)
    # No primary key: every column, in table order.
    probe = con.cursor()
    try:
        probe.execute(f"SELECT * FROM {quote(table)} LIMIT 0")  # noqa: S608 - a quoted name
        width = len(probe.description or ())
    finally:
        probe.close()
    return ", ".join(str(i) for i in range(1, width + 1))


def table_stats(vendor: str, con: Any) -> dict[str, dict[str, Any]]:
    """{table: {"rows": count, "sha256": checksum}} for every table of the database."""
    layout = sqlite_layout(con) if vendor == "sqlite" else postgresql_layout(con)
    stats: dict[str, dict[str, Any]] = {}
    for table, key in layout.items():
        order = _order_by(vendor, con, table, key)
        digest = hashlib.sha256()
        count = 0
        for row in _rows(vendor, con, f"SELECT * FROM {quote(table)} ORDER BY {order}"):  # noqa: S608
            digest.update(row_line(row))
            count += 1
        stats[table] = {"rows": count, "sha256": digest.hexdigest()}
    return stats


def migration_state(vendor: str, con: Any, tables: dict[str, Any]) -> dict[str, str]:
    """The latest applied migration of every app ({app: name}), from django_migrations."""
    if "django_migrations" not in tables:
        return {}
    latest: dict[str, str] = {}
    for app, name in _rows(vendor, con, "SELECT app, name FROM django_migrations ORDER BY id"):
        latest[app] = name
    return dict(sorted(latest.items()))


def attachment_names(vendor: str, con: Any, table: str, tables: dict[str, Any]) -> list[str]:
    """The stored file names of the attachment rows (`table` is the attachment model's table)."""
    if table not in tables:
        return []
    return [r[0] for r in _rows(vendor, con, f"SELECT file FROM {quote(table)}")]  # noqa: S608


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """The differences between two table_stats() results, one line each (empty: identical)."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if got is None:
            lines.append(f"表 {table}：恢复后不存在")
        elif want is None:
            lines.append(f"表 {table}：备份中没有这张表（恢复后有 {got['rows']} 行）")
        elif want["rows"] != got["rows"]:
            lines.append(f"表 {table}：行数不一致（备份 {want['rows']}，恢复后 {got['rows']}）")
        elif want["sha256"] != got["sha256"]:
            lines.append(f"表 {table}：行数相同（{got['rows']}）但内容校验和不一致")
    return lines

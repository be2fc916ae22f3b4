"""`liandong backup`: the database and the uploaded files in one tar archive (archive.py), with a
manifest that says what a faithful restore must reproduce."""

from __future__ import annotations

import os
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from liandong.clock import BEIJING
from liandong.incidents import files as attachment_files
from liandong.incidents.models import Attachment
from liandong.operations import archive, database, tables

DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class Summary:
    path: Path
    tables: int
    rows: int
    files: int
    size: int


def default_name(now: datetime | None = None) -> str:
    moment = (now or datetime.now(BEIJING)).astimezone(BEIJING)
    return f"liandong-backup-{moment:%Y%m%d-%H%M%S}.tar"


def _snapshot_database(vendor: str, dest: Path) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Copy the database to `dest`; return its table stats, migration state and attachment file
    names, all read from exactly what was copied."""
    attachment_table = Attachment._meta.db_table
    if vendor == "sqlite":
        database.copy_sqlite(dest)
        with closing(database.open_sqlite(dest)) as con:
            return _read(vendor, con, attachment_table)
    with database.pg_snapshot() as (con, snapshot):
        database.pg_dump(dest, snapshot)
        return _read(vendor, con, attachment_table)


def _read(
    vendor: str, con: Any, attachment_table: str
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    stats = tables.table_stats(vendor, con)
    migrations = tables.migration_state(vendor, con, stats)
    names = tables.attachment_names(vendor, con, attachment_table, stats)
    return stats, migrations, names


def media_members(root: Path, attachment_names: list[str]) -> list[tuple[Path, str]]:
    """Every file under MEDIA_ROOT except the upload staging folder, as (path, member name). An
    attachment row whose file a crash left staged (files.py) gets the staged file under its final
    name, as the first reader would have published it."""
    if not root.is_dir():
        return []
    incoming = root / attachment_files.INCOMING
    members: dict[str, Path] = {}
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        if here == incoming:
            dirs.clear()
            continue
        dirs.sort()
        for name in sorted(names):
            path = here / name
            if path.is_file() and not path.is_symlink():
                members[path.relative_to(root).as_posix()] = path
    for name in attachment_names:
        staged = incoming / Path(name).name
        if name not in members and staged.is_file():
            members[name] = staged
    return [(path, archive.MEDIA + name) for name, path in sorted(members.items())]


def create_backup(out: Path) -> Summary:
    """Write the backup archive to `out` (the server and worker may keep running)."""
    vendor = database.vendor()
    if vendor not in DATABASE_MEMBER:
        raise database.OperationFailed(f"不支持备份 {vendor} 数据库。")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    created = datetime.now(BEIJING)
    with tempfile.TemporaryDirectory(prefix=".liandong-backup-", dir=out.parent) as work:
        dump = Path(work) / DATABASE_MEMBER[vendor]
        stats, migrations, names = _snapshot_database(vendor, dump)
        media = media_members(Path(settings.MEDIA_ROOT), names)
        manifest = {
            "format": archive.FORMAT,
            "created_at": created.isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "member": dump.name},
            "migrations": migrations,
            "tables": stats,
        }
        archive.write(out, [(dump, dump.name), *media], manifest)
    return Summary(
        path=out,
        tables=len(stats),
        rows=sum(int(s["rows"]) for s in stats.values()),
        files=len(media),
        size=out.stat().st_size,
    )

"""The vendor-specific parts of backup and restore: SQLite's online backup API and file
replacement; PostgreSQL's pg_dump / pg_restore, with the connection parameters from settings."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections


class OperationFailed(Exception):
    """A backup or restore that cannot go on; the message is for the operator (Chinese)."""


#: libpq connection options that may come in the database URL's query (dj_database_url puts them
#: in OPTIONS); others there are Django's own.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "application_name": "PGAPPNAME",
}


def vendor() -> str:
    """ "sqlite" or "postgresql"."""
    return str(connection.vendor)


def _config() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


# --- SQLite -------------------------------------------------------------------------------------


def sqlite_path() -> Path:
    return Path(_config()["NAME"])


def copy_sqlite(dest: Path) -> None:
    """A consistent copy of the live database (the online backup API, in one step: one read
    transaction, so writers go on meanwhile). The copy is a single file (rollback journal)."""
    with (
        closing(sqlite3.connect(sqlite_path(), timeout=20)) as src,
        closing(sqlite3.connect(dest)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


def open_sqlite(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=20)


def replace_sqlite(staged: Path) -> None:
    """Put the backup copy in place of the installation's database file, atomically (a rename in
    the same folder). Django's connections are closed first; the server and worker must be
    stopped (docs/deployment.md)."""
    target = sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    connections.close_all()
    incoming = target.with_name(target.name + ".restoring")
    shutil.copyfile(staged, incoming)
    _fsync(incoming)
    if target.exists():
        # Fold the old database's write-ahead log into it, so that no log is left to be replayed
        # over the new file.
        with closing(sqlite3.connect(target, timeout=20)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(incoming, target)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    _fsync(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_params() -> dict[str, str]:
    config = _config()
    params = {
        "dbname": str(config.get("NAME") or ""),
        "user": str(config.get("USER") or ""),
        "password": str(config.get("PASSWORD") or ""),
        "host": str(config.get("HOST") or ""),
        "port": str(config.get("PORT") or ""),
    }
    options = config.get("OPTIONS") or {}
    params.update({k: str(v) for k, v in options.items() if k in _LIBPQ_OPTIONS})
    return {k: v for k, v in params.items() if v}


def pg_connect() -> Any:
    import psycopg

    return psycopg.connect(**_pg_params())  # type: ignore[arg-type]


def _pg_env() -> dict[str, str]:
    """pg_dump's and pg_restore's environment: the connection from settings (the password only
    here, never on the command line)."""
    params = _pg_params()
    env = dict(os.environ)
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
    names.update(_LIBPQ_OPTIONS)
    env.update({names[k]: v for k, v in params.items() if k in names})
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(found).exists():
        raise OperationFailed(f"找不到 {name}：请安装 PostgreSQL 客户端工具（postgresql-client）。")
    return found


def _run(args: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - the PostgreSQL tools, arguments from settings
        args, env=_pg_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tool = Path(args[0]).name
        raise OperationFailed(f"{tool} 失败（退出码 {done.returncode}）：{done.stderr.strip()}")


@contextmanager
def pg_snapshot() -> Iterator[tuple[Any, str]]:
    """A repeatable-read transaction and its exported snapshot: pg_dump given the snapshot sees
    exactly what the transaction sees, so the manifest counts what the dump holds."""
    with closing(pg_connect()) as con:
        con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = con.execute("SELECT pg_export_snapshot()").fetchone()[0]
        try:
            yield con, snapshot
        finally:
            con.rollback()


def pg_dump(dest: Path, snapshot: str) -> None:
    _run(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={dest}",
            f"--dbname={_pg_params()['dbname']}",
        ]
    )


def pg_restore(dump: Path) -> None:
    """Restore the dump into the configured database in one transaction (all or nothing): its
    objects are dropped and re-created; ownership and grants are the target's."""
    connections.close_all()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_pg_params()['dbname']}",
            str(dump),
        ]
    )
    with closing(pg_connect()) as con:
        con.autocommit = True
        con.execute("ANALYZE")  # pg_restore leaves the planner without statistics


@contextmanager
def stats_connection() -> Iterator[Any]:
    """A connection to read the whole database consistently (for counts and checksums)."""
    if vendor() == "sqlite":
        with closing(open_sqlite(sqlite_path())) as con:
            yield con
        return
    with closing(pg_connect()) as con:
        con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield con
        finally:
            con.rollback()

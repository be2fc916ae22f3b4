"""`liandong backup` and `liandong restore`, run as real processes against installations of their
own (tests/citylink/procs.py): a backup restored into a fresh installation gives the same rows and
the same uploaded files, a damaged archive or a non-empty target is refused and left unchanged.

SQLite always; PostgreSQL when LIANDONG_DATABASE_URL points at a server, in two scratch databases
of this test's own (the database named in the URL is never touched)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.citylink.procs import LIANDONG, copy_database, process_env, run_command, shell_json

pytestmark = pytest.mark.timeout(240)

#: Two attachments through the real upload path: one published as usual, one whose row committed
#: but whose file a crash left in the staging folder (files.py); plus a stray staged file of a
#: rolled-back upload, which is no attachment and must not be backed up.
UPLOAD = """
import io, json, os
from pathlib import Path
from PIL import Image
from django.conf import settings
from django.db import transaction
from liandong.accounts.models import User
from liandong.incidents import files
from liandong.incidents.actions.attachments import store_upload

def png(color):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(buffer, format="PNG")
    return buffer.getvalue()

actor = User.objects.order_by("pk").first()
names = []
for color in ((11, 61, 145), (200, 30, 30)):
    with transaction.atomic():
        names.append(store_upload(actor=actor, name="现场.png", data=png(color)).file.name)
root = Path(settings.MEDIA_ROOT)
os.replace(root / names[1], root / files.INCOMING / Path(names[1]).name)
(root / files.INCOMING / "rolled-back").write_bytes(b"never committed")
print("RESULT " + json.dumps(names))
"""


@dataclass(frozen=True)
class Source:
    home: Path
    fresh: Path  # a fresh installation's database: migrated, default data, no incident
    archive: Path
    attachments: list[str]


def liandong(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`liandong <args>` in `home`, whatever its exit status."""
    return subprocess.run(  # noqa: S603 - our own command
        [LIANDONG, *args],
        env=process_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def manifest_of(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return dict(json.load(handle))


def sqlite_contents(home: Path) -> dict[str, list[str]]:
    """Every row of every table, read with plain sqlite3 (independent of the product's checksums)."""
    with closing(sqlite3.connect(home / "liandong.sqlite3")) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: sorted(repr(r) for r in con.execute(f'SELECT * FROM "{n}"')) for n in names}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fresh_home(source: Source, path: Path) -> Path:
    path.mkdir(parents=True)
    shutil.copyfile(source.fresh, path / "liandong.sqlite3")
    return path


def source_file(home: Path, name: str) -> Path:
    """Where the source installation holds an attachment's bytes (published, or still staged)."""
    final = home / "media" / name
    return final if final.exists() else home / "media/attachments/incoming" / Path(name).name


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("backup")
    home = root / "source"
    run_command(home, "migrate", "-v", "0", timeout=120)
    run_command(home, "load_defaults", "-v", "0")
    copy_database(home, root / "fresh")
    run_command(home, "seed-history", "--days", "2", "--per-day", "5", timeout=120)
    attachments = shell_json(home, UPLOAD)
    archive = root / "source.tar"
    run_command(home, "backup", "--out", str(archive))
    return Source(home, root / "fresh" / "liandong.sqlite3", archive, attachments)


def test_restore_into_a_fresh_installation_gives_the_same_rows_and_files(
    sqlite_source: Source, tmp_path: Path
) -> None:
    target = fresh_home(sqlite_source, tmp_path / "target")
    out = run_command(target, "restore", str(sqlite_source.archive))
    assert "校验通过" in out

    # Row by row, read independently of the product's own checksums.
    restored = sqlite_contents(target)
    assert restored == sqlite_contents(sqlite_source.home)
    assert len(restored["incidents_incident"]) >= 10
    # A backup of the restored installation has the same counts and checksums.
    again = tmp_path / "again.tar"
    run_command(target, "backup", "--out", str(again))
    original = manifest_of(sqlite_source.archive)
    assert manifest_of(again)["tables"] == original["tables"]
    assert original["tables"]["incidents_attachment"]["rows"] == 2
    # The uploaded files, byte for byte; the staged file of a committed row under its final name;
    # nothing from the staging folder itself.
    for name in sqlite_source.attachments:
        restored_bytes = (target / "media" / name).read_bytes()
        assert restored_bytes == source_file(sqlite_source.home, name).read_bytes()
    assert not any("incoming" in name for name in original["files"])
    assert not (target / "media/attachments/incoming").exists()


def _flip(archive: Path, out: Path, member: str) -> Path:
    """A copy of the archive with one byte changed in the middle of `member`'s data."""
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    data = bytearray(archive.read_bytes())
    data[info.offset_data + info.size // 2] ^= 0x01
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("member", ["database.sqlite3", "media", "manifest.json"])
def test_a_damaged_archive_is_refused_and_nothing_changes(
    sqlite_source: Source, tmp_path: Path, member: str
) -> None:
    if member == "media":
        member = "media/" + sqlite_source.attachments[0]
    damaged = _flip(sqlite_source.archive, tmp_path / "damaged.tar", member)
    target = fresh_home(sqlite_source, tmp_path / "target")
    before = sha256(target / "liandong.sqlite3")

    done = liandong(target, "restore", str(damaged), "--force")
    assert done.returncode != 0
    assert "已损坏" in done.stderr and "未做任何改动" in done.stderr
    assert sha256(target / "liandong.sqlite3") == before
    assert not (target / "media").exists()
    assert not list(target.glob(".liandong-restore-*"))


def test_restoring_over_an_installation_with_incidents_needs_force(
    sqlite_source: Source, tmp_path: Path
) -> None:
    target = tmp_path / "busy"
    copy_database(sqlite_source.home, target)
    with closing(sqlite3.connect(target / "liandong.sqlite3")) as con:
        con.execute("UPDATE incidents_incident SET content = 'changed after the backup'")
        con.commit()
    before = sha256(target / "liandong.sqlite3")

    done = liandong(target, "restore", str(sqlite_source.archive))
    assert done.returncode != 0
    assert "已有" in done.stderr and "--force" in done.stderr
    assert sha256(target / "liandong.sqlite3") == before

    out = run_command(target, "restore", str(sqlite_source.archive), "--force")
    assert "校验通过" in out
    assert sqlite_contents(target) == sqlite_contents(sqlite_source.home)


@pytest.fixture
def writer(tmp_path: Path, sqlite_source: Source) -> Iterator[tuple[Path, threading.Event]]:
    """A copy of the source installation that another connection keeps writing to."""
    home = tmp_path / "live"
    copy_database(sqlite_source.home, home)
    stop = threading.Event()
    started = threading.Event()

    def write() -> None:
        with closing(sqlite3.connect(home / "liandong.sqlite3", timeout=20)) as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("CREATE TABLE load_writes (id INTEGER PRIMARY KEY, note TEXT)")
            con.commit()
            while not stop.is_set():
                con.executemany("INSERT INTO load_writes (note) VALUES (?)", [("x" * 200,)] * 50)
                con.commit()
                started.set()
                stop.wait(0.005)

    thread = threading.Thread(target=write)
    thread.start()
    started.wait(10)
    try:
        yield home, stop
    finally:
        stop.set()
        thread.join(10)


def test_a_backup_taken_while_the_database_is_written_is_consistent(
    writer: tuple[Path, threading.Event], sqlite_source: Source, tmp_path: Path
) -> None:
    home, stop = writer
    archive = tmp_path / "live.tar"
    run_command(home, "backup", "--out", str(archive))
    stop.set()
    backed_up = manifest_of(archive)["tables"]["load_writes"]["rows"]
    assert backed_up > 0

    target = fresh_home(sqlite_source, tmp_path / "target")
    assert "校验通过" in run_command(target, "restore", str(archive))
    with closing(sqlite3.connect(target / "liandong.sqlite3")) as con:
        assert con.execute("SELECT count(*) FROM load_writes").fetchone()[0] == backed_up


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_server() -> str:
    url = os.environ.get("LIANDONG_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL: set LIANDONG_DATABASE_URL=postgresql://…")
    return url


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_scratch() -> Iterator[tuple[str, str]]:
    """Two scratch databases (source and target) on the configured server, dropped afterwards."""
    import psycopg

    url = _pg_server()
    # CREATE/DROP DATABASE from the server's maintenance database: the configured one may not
    # exist (Django's test runner needs only the server).
    maintenance = _with_database(url, "postgres")
    names = [f"liandong_bk_src_{os.getpid()}", f"liandong_bk_dst_{os.getpid()}"]
    with closing(psycopg.connect(maintenance, autocommit=True)) as con:
        for name in names:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(url, names[0]), _with_database(url, names[1])
    finally:
        with closing(psycopg.connect(maintenance, autocommit=True)) as con:
            for name in names:
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_contents(url: str) -> dict[str, list[str]]:
    import psycopg

    with closing(psycopg.connect(url)) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        return {n: sorted(repr(r) for r in con.execute(f'SELECT * FROM "{n}"')) for n in names}


@pytest.mark.postgres
def test_postgresql_backup_restores_into_an_empty_database(
    pg_scratch: tuple[str, str], sqlite_source: Source, tmp_path: Path
) -> None:
    src_url, dst_url = pg_scratch
    src, dst = tmp_path / "src", tmp_path / "dst"
    run_command(src, "migrate", "-v", "0", timeout=180, LIANDONG_DATABASE_URL=src_url)
    run_command(src, "load_defaults", "-v", "0", LIANDONG_DATABASE_URL=src_url)
    run_command(
        src,
        "seed-history",
        "--days",
        "2",
        "--per-day",
        "5",
        timeout=120,
        LIANDONG_DATABASE_URL=src_url,
    )
    attachments = shell_json_on(src, UPLOAD, src_url)
    archive = tmp_path / "pg.tar"
    run_command(src, "backup", "--out", str(archive), LIANDONG_DATABASE_URL=src_url)
    assert manifest_of(archive)["database"]["vendor"] == "postgresql"

    out = run_command(dst, "restore", str(archive), LIANDONG_DATABASE_URL=dst_url)
    assert "校验通过" in out
    restored = pg_contents(dst_url)
    assert restored == pg_contents(src_url)
    assert len(restored["incidents_incident"]) >= 10
    for name in attachments:
        assert (dst / "media" / name).read_bytes() == source_file(src, name).read_bytes()

    # Now the target has incidents: refused without --force; an archive of SQLite never.
    refused = liandong(dst, "restore", str(archive), LIANDONG_DATABASE_URL=dst_url)
    assert refused.returncode != 0 and "--force" in refused.stderr
    other = liandong(
        dst, "restore", str(sqlite_source.archive), "--force", LIANDONG_DATABASE_URL=dst_url
    )
    assert other.returncode != 0
    assert "SQLite" in other.stderr and "PostgreSQL" in other.stderr
    damaged = _flip(archive, tmp_path / "damaged.tar", "database.pgdump")
    broken = liandong(dst, "restore", str(damaged), "--force", LIANDONG_DATABASE_URL=dst_url)
    assert broken.returncode != 0 and "已损坏" in broken.stderr
    assert pg_contents(dst_url) == restored


def shell_json_on(home: Path, code: str, url: str) -> Any:
    out = run_command(home, "shell", "--no-imports", "-c", code, LIANDONG_DATABASE_URL=url)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])

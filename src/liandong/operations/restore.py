"""`liandong restore`: put a backup archive (archive.py) back into the configured installation,
then check that what is there now is what the backup's manifest says."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from liandong.incidents.models import Incident
from liandong.operations import archive, database, tables
from liandong.operations.database import OperationFailed

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Outcome:
    tables: int = 0
    files: int = 0
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


def check_vendor(manifest: dict[str, Any]) -> None:
    source = str(manifest.get("database", {}).get("vendor"))
    target = database.vendor()
    if source != target:
        raise OperationFailed(
            f"不能恢复：备份来自 {_vendor_name(source)} 数据库，而本安装配置的是 "
            f"{_vendor_name(target)}。请在同一种数据库上恢复（跨数据库迁移请用 dumpdata/loaddata）。"
        )


def incident_count() -> int:
    """How many incidents the target already holds (0 when it has no tables yet)."""
    if Incident._meta.db_table not in connection.introspection.table_names():
        return 0
    return int(Incident.objects.count())


def check_target_empty(force: bool) -> None:
    count = incident_count()
    if count and not force:
        raise OperationFailed(
            f"拒绝恢复：目标数据库里已有 {count} 条警情，恢复会覆盖它们。"
            "确认要用备份替换现有数据，请加 --force 再运行。"
        )


def migrations_ahead(manifest: dict[str, Any]) -> list[str]:
    """The backup's latest migrations that this program does not have (the backup is newer)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    state: dict[str, str] = manifest.get("migrations") or {}
    return [f"{app}.{name}" for app, name in sorted(state.items()) if (app, name) not in known]


def migrations_behind(manifest: dict[str, Any]) -> bool:
    """True when this program has migrations the backup has not applied yet."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    state: dict[str, str] = manifest.get("migrations") or {}
    return any(state.get(app) != name for app, name in graph.leaf_nodes())


def restore_media(staged: dict[str, Path]) -> int:
    """Write the archive's files under MEDIA_ROOT (each by an atomic rename). Files there that
    the backup does not have are left alone: no row of the restored database names them."""
    root = Path(settings.MEDIA_ROOT)
    count = 0
    for name, source in sorted(staged.items()):
        if not name.startswith(archive.MEDIA):
            continue
        target = root / name[len(archive.MEDIA) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(source, incoming)
        os.replace(incoming, target)
        count += 1
    return count


def media_differences(manifest: dict[str, Any]) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    lines = []
    for name, want in sorted((manifest.get("files") or {}).items()):
        if not name.startswith(archive.MEDIA):
            continue
        path = root / name[len(archive.MEDIA) :]
        if not path.is_file():
            lines.append(f"文件 {name}：恢复后不存在")
        elif archive.sha256_file(path) != want:
            lines.append(f"文件 {name}：内容校验和不一致")
    return lines


def verify(manifest: dict[str, Any]) -> list[str]:
    """Differences between the installation now and the manifest (empty: all identical)."""
    with database.stats_connection() as con:
        current = tables.table_stats(database.vendor(), con)
    return tables.compare(manifest.get("tables") or {}, current) + media_differences(manifest)


def _restore_database(manifest: dict[str, Any], staged: dict[str, Path]) -> None:
    dump = staged[str(manifest["database"]["member"])]
    if database.vendor() == "sqlite":
        database.replace_sqlite(dump)
    else:
        database.pg_restore(dump)


def restore_backup(path: Path, *, force: bool = False) -> Outcome:
    """Restore the archive at `path` into the configured installation. Nothing is changed when
    the archive is damaged, of another database vendor, from a newer program, or when the target
    already has incidents (unless `force`)."""
    manifest = archive.read_manifest(path)
    check_vendor(manifest)
    ahead = migrations_ahead(manifest)
    if ahead and not force:
        raise OperationFailed(
            f"拒绝恢复：备份来自更新版本的程序（本程序没有迁移 {'、'.join(ahead[:3])}）。"
            "请先升级程序再恢复。"
        )
    check_target_empty(force)
    outcome = Outcome()
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".liandong-restore-", dir=settings.DATA_DIR))
    try:
        staged = archive.verify_and_stage(path, manifest, staging)
        _restore_database(manifest, staged)
        outcome.files = restore_media(staged)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outcome.tables = len(manifest.get("tables") or {})
    outcome.differences = verify(manifest)
    if migrations_behind(manifest):
        outcome.notes.append("备份来自较早的版本：请接着运行 liandong migrate。")
    return outcome

"""/readyz: may this process be sent traffic? The database answers, every migration is applied
and a background worker has finished a round recently. Each check returns None when it passes,
or the reason it does not, in Chinese for the operator reading the probe's answer."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max

from liandong import clock
from liandong.worker.models import WorkerHeartbeat

#: A worker's heartbeat older than this many rounds (and at least MIN_HEARTBEAT_AGE) is stale.
HEARTBEAT_ROUNDS = 3
MIN_HEARTBEAT_AGE = timedelta(seconds=60)

#: Migrations never become unapplied while the process runs: once all are, it is not asked again.
_migrations_applied = False


def database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"数据库无法连接：{error.__class__.__name__}"
    return None


def pending_migrations() -> list[tuple[str, str]]:
    """(app, migration) of every migration not applied to the database."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def migrations() -> str | None:
    global _migrations_applied
    if _migrations_applied:
        return None
    pending = pending_migrations()
    if pending:
        return f"有 {len(pending)} 个数据库迁移尚未执行，请先运行 liandong migrate"
    _migrations_applied = True
    return None


def heartbeat_limit() -> timedelta:
    return max(
        timedelta(seconds=HEARTBEAT_ROUNDS * settings.LIANDONG_WORKER_INTERVAL), MIN_HEARTBEAT_AGE
    )


def worker() -> str | None:
    last = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    if last is None:
        return "后台任务进程（liandong worker）从未运行：没有心跳记录"
    age = clock.now() - last
    limit = heartbeat_limit()
    if age > limit:
        return (
            f"后台任务进程（liandong worker）最近一次心跳在 {int(age.total_seconds())} 秒前，"
            f"超过 {int(limit.total_seconds())} 秒：请检查它是否在运行"
        )
    return None


def run_checks() -> dict[str, str | None]:
    """Every check's reason (None: passed). Without the database the others are not asked."""
    reasons: dict[str, str | None] = {"database": database()}
    if reasons["database"] is not None:
        skipped = "数据库无法连接，未检查"
        return {**reasons, "migrations": skipped, "worker": skipped}
    reasons["migrations"] = migrations()
    reasons["worker"] = worker()
    return reasons

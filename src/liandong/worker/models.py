"""The worker's own row: when each worker process last finished a round (for /readyz)."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per worker process (`hostname:pid`), written at the end of each round."""

    worker_id = models.CharField("后台任务进程", max_length=255, unique=True)
    last_seen = models.DateTimeField("最近一轮结束于", db_index=True)

    class Meta:
        verbose_name = "后台任务心跳"
        verbose_name_plural = "后台任务心跳"

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.last_seen.isoformat()}"

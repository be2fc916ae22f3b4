"""The columns every outbound item and every attempt share (abstract: each queue has its table,
the mechanism is one)."""

from __future__ import annotations

from django.db import models


class OutboxState(models.TextChoices):
    PENDING = "pending", "待发送"
    DELIVERED = "delivered", "已送达"
    PARKED = "parked", "已搁置（需处理）"


class OutboxItem(models.Model):
    state = models.CharField(
        "状态", max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    lease_until = models.DateTimeField("占用至", null=True, blank=True)
    last_status = models.PositiveIntegerField("最近状态码", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("生成时间")
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        abstract = True


class AttemptRecord(models.Model):
    started_at = models.DateTimeField("开始时间")
    duration_ms = models.PositiveIntegerField("耗时（毫秒）")
    status_code = models.PositiveIntegerField("状态码", null=True)
    error = models.TextField("错误", blank=True)
    outcome = models.CharField("结果", max_length=20)

    class Meta:
        abstract = True

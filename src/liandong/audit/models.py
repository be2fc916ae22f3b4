"""The audit trail: entries appended in the transaction of what they record, and the chain that
links them in sequence (appended by the sealer). Both tables are insert-only: on PostgreSQL a
trigger refuses UPDATE and DELETE (migration 0002), and docs/security.md has the grants that keep
the application's role from changing them at all."""

from __future__ import annotations

from django.db import models

from liandong.audit.kinds import AUDIT_KIND_LABELS, AUTH_METHOD_LABELS
from liandong.common.indexes import set_keys_index


class AuditEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField("时间", db_index=True)
    kind = models.CharField(
        "类别", max_length=30, choices=[(str(k), v) for k, v in AUDIT_KIND_LABELS.items()]
    )
    # Plain numbers, not foreign keys: the trail must outlive and never block what it records.
    actor_id = models.BigIntegerField("操作人编号", null=True, blank=True)  # Meta.indexes
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    auth_method = models.CharField(
        "认证方式", max_length=20, blank=True, choices=list(AUTH_METHOD_LABELS.items())
    )
    token_prefix = models.CharField("令牌前缀", max_length=12, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    request_id = models.CharField("请求编号", max_length=40, blank=True)
    target = models.CharField("对象", max_length=120, blank=True)
    event_id = models.BigIntegerField("事件编号", null=True, blank=True, unique=True)
    summary = models.CharField("摘要", max_length=300)
    data = models.JSONField("详情", default=dict, blank=True)
    algorithm = models.CharField("摘要算法", max_length=10)
    digest = models.CharField("摘要", max_length=64)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-id"]
        # the city's, the worker's and the system's entries have no actor
        indexes = [*set_keys_index("audit", "actor_id")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary}"


class AuditLink(models.Model):
    """Link `seq` of the chain: the entry it seals and the hash over the previous link."""

    seq = models.BigIntegerField("环号", primary_key=True)
    entry = models.OneToOneField(
        AuditEntry,
        verbose_name="审计记录",
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # deleting an entry must not be blocked: `audit verify` finds it
        related_name="link",
    )
    algorithm = models.CharField("摘要算法", max_length=10)
    previous = models.CharField("前一环摘要", max_length=64)
    hash = models.CharField("本环摘要", max_length=64)

    class Meta:
        verbose_name = "审计链"
        verbose_name_plural = "审计链"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"第{self.seq}环"

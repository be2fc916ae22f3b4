"""Trained triage models (versions, one active, the rest kept for rollback) and the record of each
dispatch against what was proposed (the office's corrections, which the next training learns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelVersionManager(models.Manager["ModelVersion"]):
    """Reads versions without their blob (the trained model: megabytes); the one place that loads
    a model asks for the blob by name (`selectors`), and `version.blob` still loads it on access."""

    def get_queryset(self) -> models.QuerySet[ModelVersion]:
        return super().get_queryset().defer("blob")


class ModelVersion(models.Model):
    """A model trained here from the shipped examples and the office's confirmed decisions. None
    active means the model trained from the shipped examples alone (always available, rebuilt in
    memory, never stored)."""

    number = models.PositiveIntegerField("版本号", unique=True)
    created_at = models.DateTimeField("训练时间")
    trained_by = models.CharField("训练方式", max_length=100)
    shipped_examples = models.PositiveIntegerField("内置样本数")
    confirmed_examples = models.PositiveIntegerField("本单位已确认样本数")
    metrics = models.JSONField("评估结果", default=dict, blank=True)
    blob = models.BinaryField("模型", editable=False)
    active = models.BooleanField("当前使用", default=False)

    objects = ModelVersionManager()

    class Meta:
        verbose_name = "研判模型版本"
        verbose_name_plural = "研判模型版本"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_triage_model"
            )
        ]

    def __str__(self) -> str:
        return f"第{self.number}版"


class TriageRecord(models.Model):
    """What was proposed when an incident was dispatched, and what the office decided."""

    incident = models.OneToOneField(
        "incidents.Incident", verbose_name="警情", on_delete=models.CASCADE, related_name="+"
    )
    model_version = models.CharField("模型版本", max_length=20)
    proposed_category = models.CharField("建议类别", max_length=40)
    proposed_confidence = models.FloatField("置信度")
    proposed_class = models.CharField("建议分类", max_length=20)
    proposed_level = models.PositiveSmallIntegerField("建议等级")
    decided_category = models.CharField("确定类别", max_length=40)
    decided_class = models.CharField("确定分类", max_length=20)
    decided_level = models.PositiveSmallIntegerField("确定等级")
    corrected = models.BooleanField("有修改")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="研判人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("研判时间")

    class Meta:
        verbose_name = "研判建议记录"
        verbose_name_plural = "研判建议记录"
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.proposed_category} → {self.decided_category}"


class PendingTriageRecord(models.Model):
    """A dispatch whose TriageRecord the worker still has to write (ADR 23), written in the
    dispatch's transaction and removed in the transaction that writes the record. It keeps what
    the record takes from the dispatch: the incident (a plain key, like the statistics' queue),
    who decided and when, and the model version active at that moment (None: the shipped model),
    so the record names the model of the decision, as when it was written at once."""

    incident_pk = models.BigIntegerField("警情")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="研判人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("研判时间")
    model_number = models.PositiveIntegerField("派发时的模型版本", null=True)

    class Meta:
        verbose_name = "待写入的研判记录"
        verbose_name_plural = "待写入的研判记录"

    def __str__(self) -> str:
        return f"incident {self.incident_pk}"

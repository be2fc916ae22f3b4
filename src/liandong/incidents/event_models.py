"""The timeline's events: one row of an enumerated kind for every change (events.py), appended by
the actions (kernel.append_event). Registered with the incidents app (imported by its models
module)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liandong.common.indexes import set_keys_index
from liandong.incidents.events import EVENT_KIND_LABELS


class Event(models.Model):
    """An append-only record of every change: the timeline and the audit trail."""

    incident = models.ForeignKey(
        "incidents.Incident", verbose_name="警情", on_delete=models.PROTECT, related_name="events"
    )
    instruction = models.ForeignKey(
        "incidents.Instruction",
        verbose_name="指令",
        null=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # partial: Meta.indexes
    )
    kind = models.CharField(
        "事件", max_length=40, choices=[(str(k), v) for k, v in EVENT_KIND_LABELS.items()]
    )
    summary = models.CharField("摘要", max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # partial: Meta.indexes
    )
    actor_label = models.CharField("操作方", max_length=100)
    occurred_at = models.DateTimeField("时间")
    before = models.JSONField("变更前", default=dict, blank=True)
    after = models.JSONField("变更后", default=dict, blank=True)
    data = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "事件"
        verbose_name_plural = "事件记录"
        ordering = ["occurred_at", "id"]
        # the city's receipts and the watch's events have neither
        indexes = [*set_keys_index("event", "instruction", "actor")]

    def __str__(self) -> str:
        return self.summary

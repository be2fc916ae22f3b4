"""The inbox: notifications for a unit's (or the office's) people, who read which, and the record
of each day's digest. Registered with the incidents app (imported by its models module)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationAudience(models.TextChoices):
    ALL = "all", "本单位全体"
    LEADERS = "leaders", "主管领导"
    SUPERVISORS = "supervisors", "督办员"


class Notification(models.Model):
    """A message for a unit's (or the office's) people, written in the same transaction as its
    cause: the in-product inbox row; deliveries to outside channels hang off it."""

    unit = models.ForeignKey(
        "units.Unit",
        verbose_name="接收单位",
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_inbox (unit, -created_at) serves its lookups
    )
    audience = models.CharField(
        "通知对象", max_length=20, choices=NotificationAudience.choices, default="all"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name="警情",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    instruction = models.ForeignKey(
        "incidents.Instruction",
        verbose_name="指令",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    deadline = models.ForeignKey(
        "incidents.Deadline",
        verbose_name="时限",
        null=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        # one_notification_per_deadline_stage (deadline, …) where set serves its lookups
        db_index=False,
    )
    stage = models.CharField("阶段", max_length=20, blank=True)
    kind = models.CharField("类型", max_length=40)
    title = models.CharField("标题", max_length=100, blank=True)
    text = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField(
        "生成时间",
    )

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "-created_at"], name="notification_inbox")]
        constraints = [
            # the watch tells each audience once per deadline and stage, whatever workers run
            models.UniqueConstraint(
                fields=["deadline", "stage", "unit", "audience"],
                condition=models.Q(deadline__isnull=False),
                name="one_notification_per_deadline_stage",
            )
        ]

    def __str__(self) -> str:
        return self.text


class NotificationRead(models.Model):
    """One person has read one notification (the bell counts the others)."""

    notification = models.ForeignKey(
        Notification, verbose_name="通知", on_delete=models.CASCADE, related_name="reads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="阅读人", on_delete=models.CASCADE, related_name="+"
    )
    read_at = models.DateTimeField(
        "阅读时间",
    )

    class Meta:
        verbose_name = "已读记录"
        verbose_name_plural = "已读记录"
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="one_read_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} 已读 {self.notification_id}"


class DigestRun(models.Model):
    """One day's digest for the unit leaders was written (so it is sent once, whatever workers
    run)."""

    day = models.DateField("日期", unique=True)
    created_at = models.DateTimeField(
        "生成时间",
    )
    units = models.PositiveIntegerField("单位数", default=0)

    class Meta:
        verbose_name = "每日超时汇总"
        verbose_name_plural = "每日超时汇总"

    def __str__(self) -> str:
        return f"{self.day} 超时汇总"

"""Supervision orders, their instructions, and the yearly number sequence."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liandong.supervision.lifecycle import ORDER_STATE_LABELS, OrderState


class DocumentCounter(models.Model):
    """The last number a series of the office's documents used in a year (督办 orders, bulletins);
    locked while a number is taken, so numbers are sequential without gaps or repeats."""

    series = models.CharField("文种", max_length=20)
    year = models.PositiveSmallIntegerField("年度")
    last = models.PositiveIntegerField("已用到的号", default=0)

    class Meta:
        verbose_name = "发文编号"
        verbose_name_plural = "发文编号"
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_counter_per_series_year")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


def next_number(series: str, year: int) -> int:
    """Take the series' next number in the year (the caller holds a transaction)."""
    DocumentCounter.objects.get_or_create(series=series, year=year)
    counter = DocumentCounter.objects.select_for_update().get(series=series, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


class SupervisionOrder(models.Model):
    number = models.CharField("文号", max_length=40, unique=True)
    year = models.PositiveSmallIntegerField("年度")
    serial = models.PositiveIntegerField("序号")
    unit = models.ForeignKey(
        "units.Unit", verbose_name="承办单位", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        "状态",
        max_length=20,
        choices=list(ORDER_STATE_LABELS.items()),
        default=OrderState.ISSUED,
    )
    title = models.CharField("标题", max_length=200)
    problems = models.TextField("存在问题")
    measures = models.TextField("督办要求")
    answer_due_at = models.DateTimeField("书面回复期限")
    contact = models.CharField("联系人及电话", max_length=100)
    instructions = models.ManyToManyField(
        "incidents.Instruction", verbose_name="督办指令", related_name="supervision_orders"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督办人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("督办时间")
    answer_text = models.TextField("书面回复", blank=True)
    answer_document = models.ForeignKey(
        "incidents.Attachment",
        verbose_name="回复扫描件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回复人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField("回复时间", null=True)
    first_answered_at = models.DateTimeField("首次回复时间", null=True)
    answered_late = models.BooleanField("逾期回复", default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审核时间", null=True)
    decision_note = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="one_order_number_per_year")
        ]
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self) -> str:
        return self.number

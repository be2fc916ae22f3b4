"""Assessment weights (with history) and the monthly bulletins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from liandong.assessment.lifecycle import BULLETIN, DRAFT


class AssessmentWeights(models.Model):
    """The weights of the monthly score (one row; changes kept in its history)."""

    sign = models.FloatField("签收及时率权重", default=25)
    feedback = models.FloatField("首次反馈及时率权重", default=15)
    result = models.FloatField("办结及时率权重", default=25)
    contact = models.FloatField("联系报警人及时率权重", default=10)
    satisfaction = models.FloatField("回访满意率权重", default=10)
    per_urge = models.FloatField("每次被催办扣分", default=0.5)
    per_supervision = models.FloatField("每次被督办扣分", default=2)
    per_late_answer = models.FloatField("每次督办逾期回复扣分", default=3)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "考核权重"
        verbose_name_plural = "考核权重"

    def __str__(self) -> str:
        return "考核权重"


class Bulletin(models.Model):
    month = models.DateField("月份", unique=True, help_text="该月1日")
    state = models.CharField(
        "状态", max_length=20, choices=list(BULLETIN.state_labels.items()), default=DRAFT
    )
    number = models.CharField("文号", max_length=40, blank=True)
    title = models.CharField("标题", max_length=200)
    narrative = models.TextField("工作要求（通报正文）", blank=True)
    typical_cases = models.JSONField("典型案例", default=list, blank=True)
    data = models.JSONField("统计数据", default=dict)
    drafted_at = models.DateTimeField("起草时间")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="起草人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField("印发时间", null=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="印发人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "月度通报"
        verbose_name_plural = "月度通报"
        ordering = ["-month"]

    def __str__(self) -> str:
        return self.title

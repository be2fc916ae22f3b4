"""Stored settings behind the deadline arithmetic: the holiday arrangement per year and the time
limits per instruction level. The arithmetic itself is pure (workcal.py, deadlines.py)."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from liandong.sla.watch import AUDIENCE_LABELS, STAGE_LABELS


class HolidayYear(models.Model):
    """China's official arrangement for one year (国务院办公厅关于部分节假日安排的通知)."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    holidays = models.JSONField("法定节假日（放假日期）", default=list)
    makeup_workdays = models.JSONField("调休上班日期", default=list)
    source = models.CharField("依据", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class RecomputeState(models.TextChoices):
    PENDING = "pending", "等待后台计算"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    SUPERSEDED = "superseded", "已由更新的安排重新计算"


class CalendarRecompute(models.Model):
    """One edit of the arrangement's recompute of the open working-day deadlines, written in the
    edit's own transaction and done by the worker in chunks (incidents/actions/recompute.py).

    `cursor` is the last deadline id split into chunks (`RecomputeChunk`): the open deadlines up
    to it are in chunk rows, which any worker takes, does and deletes in one transaction, so
    several workers share a job and a killed worker's chunk rolls back whole and waits for the
    next. The recompute is idempotent given the calendar (a deadline already right is not
    touched), and only the newest job runs: a newer edit supersedes an older one, which the
    worker then marks so."""

    requested_at = models.DateTimeField("提交时间")
    reason = models.CharField("原因", max_length=200)
    state = models.CharField(
        "状态", max_length=20, choices=RecomputeState.choices, default=RecomputeState.PENDING
    )
    total = models.PositiveIntegerField("待重新计算（提交时）", default=0)
    cursor = models.BigIntegerField("已分块至时限编号", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    moved = models.PositiveIntegerField("已调整", default=0)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "时限重新计算"
        verbose_name_plural = "时限重新计算"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.reason}（{self.get_state_display()}）"

    @property
    def progress(self) -> str:
        """What the admin list shows, e.g. 已处理 5000 / 12000（41%），调整 300 条."""
        share = f"（{min(100, self.done * 100 // self.total)}%）" if self.total else ""
        return f"已处理 {self.done} / {self.total}{share}，调整 {self.moved} 条"


class RecomputeChunk(models.Model):
    """A stretch of a recompute job for one worker's transaction: the open working-day deadlines
    with ids in (after, through], or, when `ids` is not empty, exactly those (deadlines an earlier
    chunk left because a person or another worker held their incident at that moment)."""

    job = models.ForeignKey(
        CalendarRecompute, verbose_name="任务", on_delete=models.CASCADE, related_name="chunks"
    )
    after = models.BigIntegerField("起（不含）", default=0)
    through = models.BigIntegerField("止（含）", default=0)
    ids = models.JSONField("时限编号", default=list, blank=True)

    class Meta:
        verbose_name = "时限重新计算分块"
        verbose_name_plural = "时限重新计算分块"

    def __str__(self) -> str:
        return f"{self.job_id}: ({self.after}, {self.through}] {len(self.ids)}"


class LimitUnitChoice(models.TextChoices):
    MINUTES = "minutes", "分钟"
    HOURS = "hours", "小时"
    WORKING_DAYS = "working_days", "工作日"


class TimeLimitSetting(models.Model):
    """The time limits of one instruction level. Defaults are the plan's."""

    level = models.PositiveSmallIntegerField(
        "指令级别", unique=True, choices=[(1, "一级指令（紧急类）"), (2, "二级指令（非紧急类）")]
    )
    sign_amount = models.PositiveIntegerField("签收时限")
    sign_unit = models.CharField("签收时限单位", max_length=20, choices=LimitUnitChoice.choices)
    feedback_amount = models.PositiveIntegerField("首次反馈时限")
    feedback_unit = models.CharField(
        "首次反馈时限单位", max_length=20, choices=LimitUnitChoice.choices
    )
    result_amount = models.PositiveIntegerField("处置结果时限")
    result_unit = models.CharField(
        "处置结果时限单位", max_length=20, choices=LimitUnitChoice.choices
    )
    caller_contact_minutes = models.PositiveIntegerField(
        "联系报警人时限（分钟）",
        null=True,
        blank=True,
        help_text="一级联动单位作为主责单位时，自签收起算",
    )
    sign_warning_share = models.FloatField(
        "签收预警比例", default=0.8, help_text="已用时间达到时限的该比例时预警（即将超时）"
    )
    caller_contact_warning_share = models.FloatField("联系报警人预警比例", default=0.8)
    feedback_warning_share = models.FloatField("首次反馈预警比例", default=0.8)
    result_warning_share = models.FloatField("处置结果预警比例", default=0.8)
    escalate_after_minutes = models.PositiveIntegerField(
        "超时后建议督办（分钟）",
        null=True,
        blank=True,
        help_text="超时后仍未完成，经过该时间提请督办员督办；留空则不提请",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "时限设置"
        verbose_name_plural = "时限设置"
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.get_level_display()}时限"


class EscalationStep(models.Model):
    """One rung of the escalation ladder: at this stage of a deadline of this level, tell them."""

    level = models.PositiveSmallIntegerField(
        "指令级别", choices=[(1, "一级指令（紧急类）"), (2, "二级指令（非紧急类）")]
    )
    stage = models.CharField("阶段", max_length=20, choices=list(STAGE_LABELS.items()))
    audience = models.CharField("通知对象", max_length=20, choices=list(AUDIENCE_LABELS.items()))
    history = HistoricalRecords()

    class Meta:
        verbose_name = "逐级提醒"
        verbose_name_plural = "逐级提醒"
        ordering = ["level", "stage", "audience"]
        constraints = [
            models.UniqueConstraint(fields=["level", "stage", "audience"], name="one_rung_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.level}级 {self.get_stage_display()} → {self.get_audience_display()}"

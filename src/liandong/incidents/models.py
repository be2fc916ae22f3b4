"""Incidents, the instructions dispatched for them, their deadlines, and the event log.

State fields on these models change only through the action functions in actions.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liandong.common.indexes import set_keys_index
from liandong.incidents.lifecycle import (
    DEADLINE_STATE_LABELS,
    FINAL_INSTRUCTION_VALUES,
    INCIDENT_STATUS_LABELS,
    INSTRUCTION_STATE_LABELS,
    DeadlineState,
    IncidentStatus,
    InstructionState,
)
from liandong.sla.watch import WATCHED_COLUMNS, Watched, next_moment, watched_row

__all__ = [
    "DeadlineState",
    "DigestRun",
    "Event",
    "ExtensionRequest",
    "IncidentStatus",
    "InstructionState",
    "JoinRequest",
    "Notification",
    "NotificationAudience",
    "NotificationRead",
    "ReturnRequest",
    "Urge",
]


def _choices(labels: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(str(k), v) for k, v in labels.items()]


class IncidentClass(models.TextChoices):
    SOURCE_DIVERSION = "source_diversion", "源头分流类"
    LINKED_DISPOSAL = "linked_disposal", "联动处置类"


class Level(models.IntegerChoices):
    URGENT = 1, "一级指令（紧急类）"
    NORMAL = 2, "二级指令（非紧急类）"


class Source(models.TextChoices):
    CITY = "city", "市安管平台"
    MANUAL = "manual", "人工录入"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically_satisfied", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    NOT_REACHED = "not_reached", "未接通"
    UNABLE = "unable", "无法回访"


#: The call-backs that reached the caller (the satisfaction rate's denominator).
REACHED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED)


#: How a unit sums up its result (处置结果).
RESULT_OUTCOMES: dict[str, str] = {
    "resolved": "已解决",
    "partially_resolved": "部分解决",
    "unresolved": "未能解决",
    "no_issue_found": "现场无异常",
    "referred": "已转其他渠道处理",
}


class Incident(models.Model):
    incident_id = models.CharField("警情编号", max_length=64, unique=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    status = models.CharField(
        "状态", max_length=20, choices=_choices(INCIDENT_STATUS_LABELS), default=IncidentStatus.NEW
    )
    received_at = models.DateTimeField("接警时间")
    transferred_at = models.DateTimeField("派发时间", null=True, blank=True)
    accepted_at = models.DateTimeField("接收时间")
    caller_name = models.CharField("报警人", max_length=50, blank=True)
    caller_phone = models.CharField("联系电话", max_length=20)
    address = models.CharField("事发地址", max_length=200)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    coordinate_system = models.CharField("坐标系", max_length=10, default="gcj02")
    content = models.TextField("警情内容")
    city_category = models.CharField("市平台类别", max_length=50, blank=True)
    police_dispatched = models.BooleanField("已先期处警", default=False)
    suggested_urgency = models.CharField("市平台建议紧急程度", max_length=10, blank=True)
    repeat_calls = models.PositiveIntegerField("重复来电次数", default=0)
    # The intake queue (urgency.py): urgent first, and why; who is triaging it now
    intake_priority = models.PositiveSmallIntegerField("研判优先级", default=1)
    intake_cues = models.JSONField("紧急提示", default=list, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="研判人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial: Meta.indexes
    )
    claimed_at = models.DateTimeField("开始研判时间", null=True, blank=True)
    raw_request = models.JSONField("原始请求", default=dict, blank=True)
    raw_body = models.TextField("原始报文", blank=True)
    content_hash = models.CharField("内容摘要", max_length=64, blank=True)
    # A city hand-over's receipt still to be recorded (actions/receipts.py, ADR 26): who handed it
    # over and in which request, for its event, audit entry and the office's notification; empty
    # (NULL) once they are written.
    receipt_pending = models.JSONField("待记录的接收", null=True, blank=True, editable=False)
    # Triage (研判)
    incident_class = models.CharField(
        "处置类别", max_length=20, choices=IncidentClass.choices, blank=True
    )
    level = models.PositiveSmallIntegerField("指令级别", choices=Level.choices, null=True)
    category = models.ForeignKey(
        "units.Category",
        verbose_name="事项类别",
        null=True,
        on_delete=models.PROTECT,
        db_index=False,  # partial: Meta.indexes
    )
    street = models.ForeignKey(
        "units.Unit",
        verbose_name="属地街道",
        null=True,
        on_delete=models.PROTECT,
        related_name="street_incidents",
        db_index=False,  # partial: Meta.indexes
    )
    triage_note = models.TextField("研判意见", blank=True)
    dispatched_at = models.DateTimeField("派发时间", null=True)
    # Outcomes
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入警情",
        null=True,
        on_delete=models.PROTECT,
        related_name="repeats",
        db_index=False,  # partial: Meta.indexes
    )
    return_reason = models.TextField("退回原因", blank=True)
    outcome = models.TextField("办结情况", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True)
    satisfaction = models.CharField(
        "满意度", max_length=30, choices=Satisfaction.choices, blank=True
    )
    # Personal data (privacy.py): the caller's name and phone removed after the retention period
    anonymised_at = models.DateTimeField("匿名化时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial: Meta.indexes
    )

    class Meta:
        verbose_name = "警情"
        verbose_name_plural = "警情"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            # the overview's and the statistics' periods
            models.Index(fields=["received_at"], name="incident_received"),
            # repeat calls (repeat_selectors.py): the same caller's recent incidents
            models.Index(fields=["caller_phone", "received_at"], name="incident_caller_phone"),
            # the worker's receipts to record: only the few still pending are in it
            models.Index(
                fields=["id"],
                name="incident_receipt_pending",
                condition=models.Q(receipt_pending__isnull=False),
            ),
            # Keys that a new incident (a city hand-over) leaves empty are indexed only where
            # set: every insert and update would otherwise add an entry for NULL to each.
            *set_keys_index(
                "incident", "claimed_by", "category", "street", "merged_into", "created_by"
            ),
        ]

    def __str__(self) -> str:
        return self.incident_id


class Role(models.TextChoices):
    PRIMARY = "primary", "主责单位"
    COOPERATING = "cooperating", "协同单位"


class Instruction(models.Model):
    """What one unit is asked to do about one incident."""

    incident = models.ForeignKey(
        Incident, verbose_name="警情", on_delete=models.PROTECT, related_name="instructions"
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name="承办单位", on_delete=models.PROTECT, related_name="instructions"
    )
    role = models.CharField("角色", max_length=12, choices=Role.choices)
    level = models.PositiveSmallIntegerField("指令级别", choices=Level.choices)
    tier = models.PositiveSmallIntegerField("派发时单位级别")
    state = models.CharField(
        "状态",
        max_length=20,
        choices=_choices(INSTRUCTION_STATE_LABELS),
        default=InstructionState.PENDING_SIGN,
    )
    previous_state = models.CharField("原状态", max_length=20, blank=True)
    dispatched_at = models.DateTimeField("派发时间")
    signed_at = models.DateTimeField("签收时间", null=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    feedback_kind = models.CharField("反馈类型", max_length=20, blank=True)
    feedback_text = models.TextField("首次反馈", blank=True)
    feedback_at = models.DateTimeField("反馈时间", null=True)
    result_outcome = models.CharField("处置结果", max_length=30, blank=True)
    result_text = models.TextField("处置情况", blank=True)
    result_at = models.DateTimeField("结果反馈时间", null=True)
    finished_at = models.DateTimeField("完成时间", null=True)
    reassigned_from = models.OneToOneField(
        "self",
        verbose_name="改派自",
        null=True,
        on_delete=models.PROTECT,
        related_name="reassigned_to",
    )
    note = models.TextField("派发说明", blank=True)

    class Meta:
        verbose_name = "指令"
        verbose_name_plural = "指令"
        ordering = ["incident", "id"]
        indexes = [
            models.Index(fields=["unit", "state"]),
            # the overview's count of open instructions (few, of very many)
            models.Index(
                fields=["state"],
                name="instruction_open",
                condition=~models.Q(state__in=FINAL_INSTRUCTION_VALUES),
            ),
            # the statistics: a period's instructions
            models.Index(fields=["dispatched_at"], name="instruction_dispatched"),
            # the board's count of incidents with open instructions (an index-only scan)
            models.Index(
                fields=["incident", "state"],
                name="instruction_open_incident",
                condition=~models.Q(state__in=FINAL_INSTRUCTION_VALUES),
            ),
            # a unit's list, newest first: its first page read in index order (not every one of
            # its instructions joined and sorted), open ones or all
            models.Index(
                fields=["unit", "-dispatched_at", "-id"],
                name="instruction_unit_open_newest",
                condition=~models.Q(state__in=FINAL_INSTRUCTION_VALUES),
            ),
            models.Index(fields=["unit", "-dispatched_at", "-id"], name="instruction_unit_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.incident_id} → {self.unit.name}"


class DeadlineKind(models.TextChoices):
    SIGN = "sign", "签收"
    CALLER_CONTACT = "caller_contact", "联系报警人"
    FEEDBACK = "feedback", "首次反馈"
    RESULT = "result", "处置结果"


class Deadline(models.Model):
    instruction = models.ForeignKey(
        Instruction,
        verbose_name="指令",
        on_delete=models.CASCADE,
        related_name="deadlines",
        db_index=False,  # one_deadline_per_kind (instruction, kind) serves its lookups
    )
    kind = models.CharField("时限", max_length=20, choices=DeadlineKind.choices)
    state = models.CharField(
        "状态", max_length=10, choices=_choices(DEADLINE_STATE_LABELS), default=DeadlineState.OPEN
    )
    starts_at = models.DateTimeField("起算时间")
    limit_amount = models.PositiveIntegerField(
        "时限数值",
    )
    limit_unit = models.CharField("时限单位", max_length=20)
    due_at = models.DateTimeField("截止时间")
    original_due_at = models.DateTimeField("原截止时间")
    provisional = models.BooleanField("暂定", default=False)
    completed_at = models.DateTimeField("完成时间", null=True)
    stopped_at = models.DateTimeField("停止时间", null=True)
    extended_at = models.DateTimeField("延期时间", null=True)
    # The watch (sla/watch.py): each stage at most once; `watch_at` is when it must look next.
    warn_share = models.FloatField("预警比例", default=0.8)
    warn_at = models.DateTimeField("预警时间", null=True)
    warned_at = models.DateTimeField("已预警", null=True)
    overdue_noticed_at = models.DateTimeField("已记录超时", null=True)
    escalate_after_minutes = models.PositiveIntegerField("超时后建议督办（分钟）", null=True)
    escalated_at = models.DateTimeField("已建议督办", null=True)
    paused_at = models.DateTimeField("暂停计时", null=True)
    paused_seconds = models.PositiveIntegerField("累计暂停（秒）", default=0)
    held_since = models.DateTimeField("延期审批中（暂缓超时）", null=True)
    watch_at = models.DateTimeField("下次检查时间", null=True)

    class Meta:
        verbose_name = "时限"
        verbose_name_plural = "时限"
        ordering = ["instruction", "due_at"]
        constraints = [
            models.UniqueConstraint(fields=["instruction", "kind"], name="one_deadline_per_kind")
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="open_deadline_due",
                condition=models.Q(state="open"),
            ),
            # the overview's weekly on-time trend (an index-only scan on PostgreSQL)
            models.Index(
                fields=["kind", "starts_at"],
                include=["state", "due_at"],
                name="deadline_kind_start",
            ),
            # the watch's queue: only rows it still has to look at
            models.Index(
                fields=["watch_at"],
                name="deadline_watch_queue",
                condition=models.Q(watch_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def running(self) -> bool:
        """The clock still runs (shown as a countdown)."""
        return self.state == DeadlineState.OPEN and self.paused_at is None

    @property
    def paused(self) -> bool:
        return self.state == DeadlineState.OPEN and self.paused_at is not None

    def watched(self) -> Watched:
        """What the watch (sla/watch.py) knows of this deadline."""
        return watched_row(
            {name: getattr(self, name) for name in WATCHED_COLUMNS},
            running=self.state == DeadlineState.OPEN,
        )

    def refresh_watch(self) -> None:
        """Set when the watch must look at this deadline next (call before saving)."""
        self.watch_at = next_moment(self.watched())

    @property
    def missed_by_seconds(self) -> int | None:
        if self.state == DeadlineState.MISSED and self.completed_at:
            return int((self.completed_at - self.due_at).total_seconds())
        return None


class Attachment(models.Model):
    """A photo or scanned document uploaded by a user; linked to a result or an extension."""

    file = models.FileField("文件", upload_to="attachments/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField(
        "大小（字节）",
    )
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(
        "上传时间",
    )
    instruction = models.ForeignKey(
        Instruction,
        verbose_name="指令",
        null=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    purpose = models.CharField("用途", max_length=20, blank=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.original_name


class CallerContact(models.Model):
    instruction = models.ForeignKey(
        Instruction, verbose_name="指令", on_delete=models.PROTECT, related_name="caller_contacts"
    )
    contacted_at = models.DateTimeField("联系时间")
    reached = models.BooleanField("是否联系上")
    note = models.TextField("情况", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT
    )
    recorded_at = models.DateTimeField(
        "记录时间",
    )

    class Meta:
        verbose_name = "联系报警人记录"
        verbose_name_plural = "联系报警人记录"
        ordering = ["contacted_at", "id"]

    def __str__(self) -> str:
        return f"{self.instruction_id}: {'已联系上' if self.reached else '未联系上'}"


class CallBack(models.Model):
    """The office calls the caller back after closing (回访)."""

    incident = models.ForeignKey(
        Incident, verbose_name="警情", on_delete=models.PROTECT, related_name="callbacks"
    )
    satisfaction = models.CharField("满意度", max_length=30, choices=Satisfaction.choices)
    note = models.TextField("回访情况", blank=True)
    reopened = models.BooleanField("重新处置", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="回访人", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(
        "回访时间",
    )

    class Meta:
        verbose_name = "回访记录"
        verbose_name_plural = "回访记录"

    def __str__(self) -> str:
        return f"回访 {self.get_satisfaction_display()}"


# The timeline's events, the units' requests and the urges live in modules of their own, as does
# the inbox (notifications, who read them, the daily digest).
from liandong.incidents.event_models import Event  # noqa: E402
from liandong.incidents.inbox_models import (  # noqa: E402
    DigestRun,
    Notification,
    NotificationAudience,
    NotificationRead,
)
from liandong.incidents.request_models import (  # noqa: E402
    ExtensionRequest,
    JoinRequest,
    ReturnRequest,
    Urge,
)

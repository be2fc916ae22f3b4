"""The city platform as a peer: its keys, the messages it sent us, and the reports we owe it.

CityReport is an outbox: a report row is written in the same transaction as the step it reports
and delivered later by the worker, one incident's reports strictly in sequence. Every delivery
attempt is kept."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from liandong.outbox.models import AttemptRecord, OutboxItem, OutboxState

#: What the city's follow-up messages and the district's reports are called on screen (the wire
#: format keeps the contract's codes).
MESSAGE_TYPE_LABELS = {"supplement": "补充警情信息", "urge": "催办", "withdraw": "撤回"}
REPORT_TYPE_LABELS = {
    "returned": "退回市平台",
    "dispatched": "派发（单位组成）",
    "signed": "签收",
    "caller_contacted": "联系报警人",
    "feedback": "首次反馈",
    "extended": "延期",
    "result": "处置结果",
    "closed": "办结",
    "withdrawn": "已撤回",
}


class CityPeer(models.Model):
    peer_id = models.CharField(
        "对端标识", max_length=64, unique=True, help_text="市平台请求头 X-Peer-Id，如 shenyang-city"
    )
    name = models.CharField("名称", max_length=100, default="市安管平台")
    reports_url = models.URLField(
        "报告接收地址", blank=True, help_text="市平台基础地址；报告发往 {地址}/reports"
    )
    district_peer_id = models.CharField(
        "本区标识",
        max_length=64,
        default="yuhong-district",
        help_text="本区发往市平台时的 X-Peer-Id",
    )
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "市平台对端"
        verbose_name_plural = "市平台对端"

    def __str__(self) -> str:
        return f"{self.name}（{self.peer_id}）"


class KeyDirection(models.TextChoices):
    INBOUND = "inbound", "市平台发来请求的验签密钥"
    OUTBOUND = "outbound", "本区发出报告的签名密钥"


class PeerKey(models.Model):
    """A shared secret, stored encrypted. Several may be active at once (rotation)."""

    peer = models.ForeignKey(
        CityPeer, verbose_name="对端", on_delete=models.CASCADE, related_name="keys"
    )
    direction = models.CharField("用途", max_length=10, choices=KeyDirection.choices)
    label = models.CharField("说明", max_length=100, blank=True)
    fingerprint = models.CharField("指纹", max_length=16, editable=False)
    secret_encrypted = models.TextField("密钥（加密保存）", editable=False)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "对接密钥"
        verbose_name_plural = "对接密钥"
        ordering = ["peer", "direction", "-created_at"]

    def __str__(self) -> str:
        return f"{self.peer.peer_id} {self.get_direction_display()} {self.fingerprint}"


class InboundMessage(models.Model):
    """A follow-up message from the city (supplement / urge / withdraw), kept once."""

    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name="警情",
        on_delete=models.PROTECT,
        related_name="city_messages",
    )
    message_id = models.CharField("消息编号", max_length=64)
    type = models.CharField("类型", max_length=20, choices=MESSAGE_TYPE_LABELS.items())
    sent_at = models.DateTimeField(
        "发送时间",
    )
    text = models.TextField("内容", blank=True)
    content_hash = models.CharField("内容摘要", max_length=64)
    raw_body = models.TextField(
        "原始报文",
    )
    received_at = models.DateTimeField(
        "接收时间",
    )

    class Meta:
        verbose_name = "市平台后续消息"
        verbose_name_plural = "市平台后续消息"
        constraints = [
            models.UniqueConstraint(fields=["incident", "message_id"], name="one_message_per_id")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.message_id} {self.type}"


#: Report states are the outbox's (one delivery mechanism for everything sent out).
ReportState = OutboxState


class CityReport(OutboxItem):
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name="警情",
        on_delete=models.PROTECT,
        related_name="city_reports",
    )
    sequence = models.PositiveIntegerField("序号")
    report_id = models.CharField("报告编号", max_length=64, unique=True)
    type = models.CharField("类型", max_length=30, choices=REPORT_TYPE_LABELS.items())
    occurred_at = models.DateTimeField("发生时间")
    unit_code = models.CharField("单位编码", max_length=40, blank=True)
    unit_name = models.CharField("单位名称", max_length=100, blank=True)
    text = models.TextField("内容")
    data = models.JSONField("数据", default=dict)

    class Meta:
        verbose_name = "上报市平台记录"
        verbose_name_plural = "上报市平台记录"
        ordering = ["incident", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "sequence"], name="one_report_per_sequence")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="pending_report_due",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}#{self.sequence} {self.type}"


class ReportAttempt(AttemptRecord):
    report = models.ForeignKey(
        CityReport, verbose_name="上报记录", on_delete=models.CASCADE, related_name="attempt_log"
    )

    class Meta:
        verbose_name = "发送尝试"
        verbose_name_plural = "发送尝试"
        ordering = ["report", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.report} {self.outcome}"

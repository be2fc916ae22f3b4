"""Channel settings (secrets stored encrypted, like the city keys), per-person preferences,
message templates per kind, and the deliveries: one row per channel and recipient of a
notification, sent by the outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from liandong.outbox.models import AttemptRecord, OutboxItem


class SmsGateway(models.Model):
    """A government SMS platform's HTTP interface (see liandong.channels.sms)."""

    name = models.CharField("名称", max_length=100)
    url = models.CharField("接口地址", max_length=500)
    method = models.CharField(
        "请求方法", max_length=4, choices=[("POST", "POST"), ("GET", "GET")], default="POST"
    )
    content_type = models.CharField(
        "内容类型",
        max_length=50,
        default="application/json",
        choices=[
            ("application/json", "JSON"),
            ("application/x-www-form-urlencoded", "表单"),
            ("text/plain", "纯文本"),
        ],
    )
    headers_encrypted = models.TextField("请求头（加密保存）", blank=True, editable=False)
    body_template = models.TextField(
        "请求体模板", blank=True, help_text="可用 ${phone} ${text} ${title} ${timestamp}"
    )
    success_json_path = models.CharField("成功判断：JSON路径", max_length=100, blank=True)
    success_value = models.CharField("成功判断：取值", max_length=100, blank=True)
    success_contains = models.CharField("成功判断：应答包含", max_length=100, blank=True)
    permanent_values = models.JSONField("不再重试的应答代码", default=list, blank=True)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(excluded_fields=["headers_encrypted"])

    class Meta:
        verbose_name = "短信网关"
        verbose_name_plural = "短信网关"

    def __str__(self) -> str:
        return self.name


class SmtpServer(models.Model):
    name = models.CharField("名称", max_length=100)
    host = models.CharField("服务器", max_length=200)
    port = models.PositiveIntegerField("端口", default=25)
    security = models.CharField(
        "加密方式",
        max_length=10,
        default="starttls",
        choices=[("none", "不加密"), ("starttls", "STARTTLS"), ("ssl", "SSL/TLS")],
    )
    username = models.CharField("用户名", max_length=200, blank=True)
    password_encrypted = models.TextField("密码（加密保存）", blank=True, editable=False)
    sender = models.EmailField("发件地址")
    sender_name = models.CharField("发件人名称", max_length=100, default="区联动办")
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(excluded_fields=["password_encrypted"])

    class Meta:
        verbose_name = "邮件服务器"
        verbose_name_plural = "邮件服务器"

    def __str__(self) -> str:
        return self.name


class RobotKind(models.TextChoices):
    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"


class GroupRobot(models.Model):
    """A unit's (or the office's) work group robot: everything for the unit is posted there."""

    unit = models.ForeignKey("units.Unit", verbose_name="单位", on_delete=models.CASCADE)
    kind = models.CharField("类型", max_length=10, choices=RobotKind.choices)
    name = models.CharField("名称", max_length=100)
    url_encrypted = models.TextField("Webhook地址（加密保存）", editable=False)
    secret_encrypted = models.TextField("加签密钥（加密保存）", blank=True, editable=False)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(excluded_fields=["url_encrypted", "secret_encrypted"])

    class Meta:
        verbose_name = "群机器人"
        verbose_name_plural = "群机器人"
        ordering = ["unit", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.get_kind_display()} {self.name}"


class PersonChannel(models.Model):
    """How one person wants to be reached outside the product."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.CASCADE, related_name="+"
    )
    sms_enabled = models.BooleanField("接收短信", default=True)
    email = models.EmailField("电子邮箱", blank=True)
    email_enabled = models.BooleanField("接收邮件", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "个人接收设置"
        verbose_name_plural = "个人接收设置"

    def __str__(self) -> str:
        return str(self.user)


class MessageTemplate(models.Model):
    """The wording sent outside the product for one kind of notification."""

    kind = models.CharField("通知类型", max_length=40, unique=True)
    label = models.CharField("说明", max_length=100)
    external = models.BooleanField("发送到短信、群机器人和邮件", default=True)
    title = models.CharField("标题", max_length=100, help_text="可用 ${title}")
    text = models.TextField(
        "正文",
        help_text="可用 ${text} ${title} ${unit} ${incident_id} ${address} ${time}",
    )
    markdown = models.TextField("群机器人Markdown正文（可选）", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "消息模板"
        verbose_name_plural = "消息模板"
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.label}（{self.kind}）"


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    WECOM = "wecom", "企业微信"
    DINGTALK = "dingtalk", "钉钉"
    EMAIL = "email", "邮件"


class Delivery(OutboxItem):
    """One notification on one channel to one recipient (a phone, an address, a robot)."""

    notification = models.ForeignKey(
        "incidents.Notification",
        verbose_name="通知",
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    recipient = models.CharField("接收方", max_length=100)
    address = models.CharField("号码或地址", max_length=200, blank=True)
    robot = models.ForeignKey(
        GroupRobot, verbose_name="群机器人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField("标题", max_length=100)
    text = models.TextField("正文")
    markdown = models.TextField("Markdown格式", blank=True)

    class Meta:
        verbose_name = "通知外发记录"
        verbose_name_plural = "通知外发记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="pending_delivery_due",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}"


class DeliveryAttempt(AttemptRecord):
    delivery = models.ForeignKey(
        Delivery, verbose_name="发送记录", on_delete=models.CASCADE, related_name="attempt_log"
    )

    class Meta:
        verbose_name = "外发尝试"
        verbose_name_plural = "外发尝试"
        ordering = ["delivery", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery} {self.outcome}"

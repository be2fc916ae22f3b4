"""Administration of the channels (secrets write-only: never shown again once stored), the
per-person settings, the message templates (with history) and the delivery backlog."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from liandong.channels import SmsGatewayConfig
from liandong.common.admin import ReadOnlyAdmin
from liandong.notifications import actions
from liandong.notifications.delivery import NOTIFY_QUEUE
from liandong.notifications.models import (
    Delivery,
    GroupRobot,
    MessageTemplate,
    PersonChannel,
    SmsGateway,
    SmtpServer,
)
from liandong.outbox import engine
from liandong.outbox.lifecycle import OUTBOX

KEEP = "留空则保留已保存的值；保存后不再显示"


def _headers(text: str) -> dict[str, str]:
    headers = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise forms.ValidationError(f"第{number}行应为「名称: 值」")
        headers[name.strip()] = value.strip()
    return headers


class SmsGatewayForm(forms.ModelForm):
    headers_text = forms.CharField(
        label="请求头（每行「名称: 值」，加密保存）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=KEEP,
    )

    class Meta:
        model = SmsGateway
        fields = (
            "name",
            "url",
            "method",
            "content_type",
            "body_template",
            "success_json_path",
            "success_value",
            "success_contains",
            "permanent_values",
            "active",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        headers = _headers(data.get("headers_text", ""))
        probe = SmsGatewayConfig(
            url=data.get("url", ""),
            method=data.get("method", "POST"),
            headers=headers,
            body_template=data.get("body_template", ""),
            content_type=data.get("content_type", "application/json"),
        )
        problems = probe.validate()
        if problems:
            raise forms.ValidationError(problems)
        data["headers"] = headers
        return data


@admin.register(SmsGateway)
class SmsGatewayAdmin(SimpleHistoryAdmin):
    form = SmsGatewayForm
    list_display = ("name", "url", "method", "active")

    def save_model(self, request: HttpRequest, obj: SmsGateway, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("headers_text"):
            actions.do_set_sms_headers(gateway=obj, headers=form.cleaned_data["headers"])


class SmtpServerForm(forms.ModelForm):
    password = forms.CharField(
        label="密码（加密保存）", required=False, widget=forms.PasswordInput, help_text=KEEP
    )

    class Meta:
        model = SmtpServer
        fields = ("name", "host", "port", "security", "username", "sender", "sender_name", "active")


@admin.register(SmtpServer)
class SmtpServerAdmin(SimpleHistoryAdmin):
    form = SmtpServerForm
    list_display = ("name", "host", "port", "security", "sender", "active")

    def save_model(self, request: HttpRequest, obj: SmtpServer, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("password"):
            actions.do_set_smtp_password(server=obj, password=form.cleaned_data["password"])


class GroupRobotForm(forms.ModelForm):
    url = forms.CharField(
        label="Webhook地址（加密保存）",
        required=False,
        help_text="企业微信：https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…；"
        "钉钉：https://oapi.dingtalk.com/robot/send?access_token=…。" + KEEP,
    )
    secret = forms.CharField(
        label="加签密钥（钉钉，加密保存）",
        required=False,
        widget=forms.PasswordInput,
        help_text=KEEP,
    )

    class Meta:
        model = GroupRobot
        fields = ("unit", "kind", "name", "active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("url"):
            self.add_error("url", "请填写Webhook地址")
        url = data.get("url", "")
        if url and not url.startswith(("http://", "https://")):
            self.add_error("url", "Webhook地址应以 http:// 或 https:// 开头")
        return data


@admin.register(GroupRobot)
class GroupRobotAdmin(SimpleHistoryAdmin):
    form = GroupRobotForm
    list_display = ("unit", "kind", "name", "active")
    list_filter = ("kind", "active")

    def save_model(self, request: HttpRequest, obj: GroupRobot, form: Any, change: bool) -> None:
        if not change:
            obj.url_encrypted = actions.seal(form.cleaned_data["url"])
        super().save_model(request, obj, form, change)
        url = form.cleaned_data.get("url") or None
        secret = form.cleaned_data.get("secret") or None
        if url or secret:
            actions.do_set_robot_secrets(robot=obj, url=url, secret=secret)


@admin.register(PersonChannel)
class PersonChannelAdmin(SimpleHistoryAdmin):
    list_display = ("user", "sms_enabled", "email", "email_enabled")
    search_fields = ("user__username", "user__first_name", "email")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("label", "kind", "external", "title")
    list_filter = ("external",)
    readonly_fields = ("kind",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The backlog of messages sent outside the product: read only; parked ones can be resent."""

    list_display = (
        "created_at",
        "channel",
        "recipient",
        "title",
        "state",
        "attempts",
        "last_error",
    )
    list_filter = ("state", "channel")
    search_fields = ("recipient", "address", "title")
    actions = ["resend"]
    change_list_template = "admin/notifications/delivery/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        return super().changelist_view(
            request, {**(extra_context or {}), "backlog": engine.backlog(NOTIFY_QUEUE)}
        )

    @admin.action(description="重新发送所选的已搁置记录")
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        parked = [d for d in queryset if OUTBOX.allows(d.state, "resend")]
        for delivery in parked:
            actions.do_resend_delivery(actor=request.user, delivery=delivery)  # type: ignore[arg-type]
        messages.info(request, f"已重新排队 {len(parked)} 条")

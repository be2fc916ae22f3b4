from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from liandong.citylink.actions import do_resend_report
from liandong.citylink.lifecycle import REPORT
from liandong.citylink.models import (
    CityPeer,
    CityReport,
    InboundMessage,
    KeyDirection,
    PeerKey,
    ReportAttempt,
)
from liandong.citylink.peers import do_add_peer_key, do_revoke_peer_key
from liandong.common.admin import ReadOnlyAdmin


class PeerKeyInline(admin.TabularInline):
    model = PeerKey
    fields = ("direction", "label", "fingerprint", "active", "created_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CityPeer)
class CityPeerAdmin(SimpleHistoryAdmin):
    list_display = ("peer_id", "name", "reports_url", "district_peer_id", "active")
    inlines = [PeerKeyInline]


class PeerKeyForm(forms.ModelForm):
    secret = forms.CharField(
        label="密钥",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空则自动生成。保存后只显示一次，之后无法再查看。",
    )

    class Meta:
        model = PeerKey
        fields = ("peer", "direction", "label")


@admin.register(PeerKey)
class PeerKeyAdmin(admin.ModelAdmin):
    list_display = (
        "peer",
        "direction",
        "label",
        "fingerprint",
        "active",
        "created_at",
        "revoked_at",
    )
    list_filter = ("direction", "active")
    actions = ["revoke"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = PeerKeyForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return (
                "peer",
                "direction",
                "label",
                "fingerprint",
                "active",
                "created_at",
                "revoked_at",
            )
        return ()

    def save_model(self, request: HttpRequest, obj: PeerKey, form: Any, change: bool) -> None:
        if change:
            return
        key, secret = do_add_peer_key(
            peer=form.cleaned_data["peer"],
            direction=form.cleaned_data["direction"],
            secret=form.cleaned_data.get("secret"),
            label=form.cleaned_data.get("label", ""),
        )
        obj.pk = key.pk
        if not form.cleaned_data.get("secret"):
            messages.warning(
                request,
                f"已生成{KeyDirection(key.direction).label}，只显示这一次，请交给对端妥善保存：{secret}",
            )

    @admin.action(description="停用所选密钥")
    def revoke(self, request: HttpRequest, queryset: QuerySet[PeerKey]) -> None:
        for key in queryset:
            do_revoke_peer_key(key=key)


class AttemptInline(admin.TabularInline):
    model = ReportAttempt
    fields = ("started_at", "duration_ms", "status_code", "outcome", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CityReport)
class CityReportAdmin(ReadOnlyAdmin):
    list_display = (
        "incident",
        "sequence",
        "type",
        "state",
        "attempts",
        "last_status",
        "created_at",
        "delivered_at",
    )
    list_filter = ("state", "type")
    search_fields = ("incident__incident_id", "report_id")
    inlines = [AttemptInline]
    actions = ["resend"]

    @admin.action(description="重新发送所选的已搁置报告")
    def resend(self, request: HttpRequest, queryset: QuerySet[CityReport]) -> None:
        parked = [r for r in queryset if REPORT.allows(r.state, "resend")]
        for report in parked:
            do_resend_report(actor=request.user, report=report)  # type: ignore[arg-type]
        messages.info(request, f"已重新排队 {len(parked)} 条报告")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("incident", "message_id", "type", "sent_at", "received_at")
    list_filter = ("type",)

"""The system administrator trains, switches and rolls back triage models here; the records of
proposals against decisions are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from liandong.common.admin import ReadOnlyAdmin
from liandong.common.errors import InvalidInput
from liandong.triage.models import ModelVersion, TriageRecord
from liandong.triage.services import do_activate_model, do_roll_back_model, do_train_model


def _scores(v: ModelVersion) -> str:
    m = v.metrics or {}
    parts = []
    for name, label in (("category", "类别"), ("class", "分类"), ("level", "等级")):
        top1 = (m.get(name) or {}).get("top1")
        if top1 is not None:
            parts.append(f"{label}{top1:.0%}")
    return " ".join(parts)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "active",
        "created_at",
        "trained_by",
        "shipped_examples",
        "confirmed_examples",
        "scores",
    )
    exclude = ("blob",)
    actions = ["activate"]
    change_list_template = "admin/triage/modelversion/change_list.html"

    @admin.display(description="留出集准确率")
    def scores(self, obj: ModelVersion) -> str:
        return _scores(obj)

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("triage.change_modelversion")

    @admin.action(description="启用所选版本（用于回退）", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: Any) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            messages.error(request, "请只选择一个版本")
            return
        do_activate_model(number=chosen[0].number, by=str(request.user))
        messages.success(request, f"已启用{chosen[0]}")

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "train/",
                self.admin_site.admin_view(self.train_view),
                name="triage_modelversion_train",
            ),
            path(
                "rollback/",
                self.admin_site.admin_view(self.rollback_view),
                name="triage_modelversion_rollback",
            ),
        ]
        return extra + super().get_urls()

    def _back(self) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:triage_modelversion_changelist"))

    def train_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_activate_permission(request):
            return self._back()
        version = do_train_model(trained_by=f"管理员训练（{request.user}）")
        messages.success(request, f"已训练并启用{version}：留出集{_scores(version)}")
        return self._back()

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_activate_permission(request):
            return self._back()
        try:
            target = do_roll_back_model(by=str(request.user))
        except InvalidInput as exc:
            messages.error(request, exc.fields[0].message)
        else:
            messages.success(request, f"已回退到{target or '内置模型'}")
        return self._back()


@admin.register(TriageRecord)
class TriageRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "decided_at",
        "incident",
        "model_version",
        "proposed_category",
        "decided_category",
        "proposed_class",
        "decided_class",
        "proposed_level",
        "decided_level",
        "corrected",
    )
    list_filter = ("corrected", "model_version")

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from liandong.units.models import Category, TierChange, Unit
from liandong.units.services import do_change_unit_tier


class UnitForm(forms.ModelForm):
    """Aliases one per line (stored as a list); a tier change needs its reason and document."""

    aliases_text = forms.CharField(
        label="别名",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个，如“区房产局”“房产局”；研判和导入时按别名识别单位",
    )
    tier_reason = forms.CharField(
        label="级别调整原因", required=False, max_length=200, help_text="调整联动级别时必填"
    )
    tier_document = forms.CharField(
        label="级别调整文件文号",
        required=False,
        max_length=100,
        help_text="调整联动级别时必填，如“于联办〔2026〕3号”",
    )

    class Meta:
        model = Unit
        fields = (
            "code",
            "name",
            "kind",
            "tier",
            "street_code",
            "role_note",
            "duty_phone",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["aliases_text"].initial = "\n".join(self.instance.aliases or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = (data.get("aliases_text") or "").splitlines()
        data["aliases"] = list(dict.fromkeys(a.strip() for a in lines if a.strip()))
        if self.instance.pk and "tier" in self.changed_data:
            for name, label in (("tier_reason", "调整原因"), ("tier_document", "文件文号")):
                if not (data.get(name) or "").strip():
                    self.add_error(name, f"调整联动级别时请填写{label}")
        return data


class TierChangeInline(admin.TabularInline):
    model = TierChange
    fk_name = "unit"
    extra = 0
    can_delete = False
    fields = ("effective_at", "from_tier", "to_tier", "reason", "document_number", "changed_by")
    readonly_fields = fields
    verbose_name_plural = "级别调整记录（新级别对调整后派发的指令生效）"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    form = UnitForm
    list_display = ("name", "code", "kind", "tier", "duty_phone", "active")
    list_filter = ("kind", "tier", "active")
    search_fields = ("name", "code", "aliases")
    inlines = [TierChangeInline]

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        obj.aliases = form.cleaned_data["aliases"]
        new_tier = obj.tier
        if change and "tier" in form.changed_data and new_tier is not None:
            # The tier goes through its action so that the history row is written.
            obj.tier = form.initial.get("tier")
            super().save_model(request, obj, form, change)
            do_change_unit_tier(
                actor=request.user,  # type: ignore[arg-type]
                unit=obj,
                tier=new_tier,
                reason=form.cleaned_data["tier_reason"].strip(),
                document_number=form.cleaned_data["tier_document"].strip(),
            )
            return
        super().save_model(request, obj, form, change)


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "primary_unit", "primary_is_street", "street_joins", "active")
    list_filter = ("active", "street_joins")
    search_fields = ("name", "code", "covers")
    filter_horizontal = ("cooperating_units", "alternatives")


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    list_display = (
        "unit",
        "from_tier",
        "to_tier",
        "effective_at",
        "reason",
        "document_number",
        "changed_by",
    )
    list_filter = ("to_tier",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from liandong.units.models import Category, TierChange, Unit
from liandong.units.services import do_change_unit_tier


class TierChangeInline(admin.TabularInline):
    model = TierChange
    fk_name = "unit"
    extra = 0
    can_delete = False
    fields = ("effective_at", "from_tier", "to_tier", "reason", "changed_by")
    readonly_fields = fields
    verbose_name_plural = "级别调整记录（新级别对调整后派发的指令生效）"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "kind", "tier", "duty_phone", "active")
    list_filter = ("kind", "tier", "active")
    search_fields = ("name", "code", "aliases")
    inlines = [TierChangeInline]

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        new_tier = obj.tier
        if change and "tier" in form.changed_data and new_tier is not None:
            # The tier goes through its action so that the history row is written.
            obj.tier = form.initial.get("tier")
            super().save_model(request, obj, form, change)
            do_change_unit_tier(actor=request.user, unit=obj, tier=new_tier, reason="管理后台调整")  # type: ignore[arg-type]
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
    list_display = ("unit", "from_tier", "to_tier", "effective_at", "reason", "changed_by")
    list_filter = ("to_tier",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from liandong.accounts.login import ThrottledAuthenticationForm
from liandong.accounts.models import ApiToken, User
from liandong.accounts.services import do_issue_api_token

# Permissions follow the role (one access gate), not Django groups.
admin.site.unregister(Group)
# The admin's login refuses a locked-out name like the product's (accounts/login.py).
admin.site.login_form = ThrottledAuthenticationForm


@admin.register(User)
class LiandongUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "role", "unit", "is_active")
    list_filter = ("role", "unit", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("联动角色", {"fields": ("role", "unit", "phone")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("联动角色", {"fields": ("role", "unit", "first_name")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    fields = ("user", "name", "revoked_at")
    readonly_fields = ("prefix", "created_at", "expires_at", "last_used_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = do_issue_api_token(user=obj.user, name=obj.name)
        obj.pk = token.pk
        messages.warning(request, f"令牌已生成，只显示这一次，请妥善保存：{raw}")

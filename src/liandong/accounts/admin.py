from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from liandong.accounts.login import ThrottledAuthenticationForm
from liandong.accounts.models import ApiToken, User
from liandong.accounts.services import do_issue_api_token, do_revoke_api_token

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
    readonly_fields = ("user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # issuing: only a name; the token is the issuer's own
            return ("name",)
        return ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else (*self.readonly_fields, "name")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token's record stays; revoke it instead

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description="吊销所选令牌（不可恢复）", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            do_revoke_api_token(token=token)
        messages.success(request, f"已吊销{queryset.count()}个令牌")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return  # nothing of a token is edited: it is revoked (the action) and issued anew
        token, raw = do_issue_api_token(user=request.user, name=obj.name)  # type: ignore[arg-type]
        obj.pk = token.pk
        messages.warning(
            request, f"令牌已生成，代表您本人（{request.user}），只显示这一次，请妥善保存：{raw}"
        )

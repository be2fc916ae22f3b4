"""People, sign-in records and API tokens in the administration, split by duty (duties.py): the
system administrator keeps who a person is (name, unit, phone); the security administrator keeps
what they may do (role, activation, password, lock-out, second factor) and the tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from liandong.accounts import duties
from liandong.accounts.models import ApiToken, LoginAttempt, Role, User
from liandong.accounts.second_factor import do_reset_second_factor
from liandong.accounts.services import (
    do_create_person,
    do_issue_api_token,
    do_revoke_api_token,
    do_set_password,
    do_unlock_login,
    do_update_person,
)
from liandong.common.admin import ReadOnlyAdmin

# Permissions follow the role (one access gate), not Django groups.
admin.site.unregister(Group)


class PersonCreationForm(forms.ModelForm):
    """The system administrator registers a person; the account starts without a password and
    inactive until the security administrator gives it a role and a password."""

    class Meta:
        model = User
        fields = ("username", "first_name", "unit", "phone")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A placeholder role that fits the unit; the account stays inactive until the security
        # administrator sets the real role.
        self.instance.role = Role.DUTY_OFFICER if cleaned.get("unit") else Role.DISPATCHER
        cleaned["role"] = self.instance.role
        return cleaned


class AuditedPasswordForm(AdminPasswordChangeForm):
    """The admin's password page, writing through the action (and so into the trail)."""

    def save(self, commit: bool = True) -> Any:
        if self.cleaned_data.get("set_usable_password", True) is False:
            return super().save(commit)
        return do_set_password(actor=None, person=self.user, raw=self.cleaned_data["password1"])


def _role(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


@admin.register(User)
class LiandongUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "role", "unit", "is_active", "second_factor")
    list_filter = ("role", "unit", "is_active")
    add_form = PersonCreationForm
    change_password_form = AuditedPasswordForm
    add_fieldsets = ((None, {"fields": ("username", "first_name", "unit", "phone")}),)
    actions = ["unlock", "reset_second_factor"]

    @admin.display(description="动态口令", boolean=True)
    def second_factor(self, obj: User) -> bool:
        return obj.totp_confirmed_at is not None

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        people = ("人员信息", {"fields": duties.USER_FIELDS_SYSTEM})
        security = ("角色与账号状态", {"fields": (*duties.USER_FIELDS_SECURITY, "password")})
        record = ("记录", {"fields": ("last_login", "date_joined", "totp_confirmed_at")})
        return (people, security, record)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        always = ("last_login", "date_joined", "totp_confirmed_at")
        if _role(request) == Role.SECURITY_ADMIN and obj.pk != request.user.pk:
            return (*duties.USER_FIELDS_SYSTEM, *always)
        if _role(request) == Role.ADMIN:
            return (*duties.USER_FIELDS_SECURITY, *always)
        return (*duties.USER_FIELDS_SYSTEM, *duties.USER_FIELDS_SECURITY, *always)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Passwords are the security administrator's, and never their own through this page.
        if _role(request) != Role.SECURITY_ADMIN or str(request.user.pk) == str(id):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if not change:
            created = do_create_person(actor=request.user, fields=form.cleaned_data)  # type: ignore[arg-type]
            obj.pk = created.pk
            return
        do_update_person(actor=request.user, person=obj, changes=fields)  # type: ignore[arg-type]

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return _role(request) == Role.SECURITY_ADMIN

    has_reset_second_factor_permission = has_unlock_permission

    @admin.action(description="解除所选账号的登录锁定", permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset:
            do_unlock_login(actor=request.user, person=person)  # type: ignore[arg-type]
        messages.success(request, f"已解除{queryset.count()}个账号的登录锁定")

    @admin.action(
        description="重置所选账号的动态口令（下次登录重新绑定）",
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset:
            do_reset_second_factor(actor=request.user, user=person)  # type: ignore[arg-type]
        messages.success(request, f"已重置{queryset.count()}个账号的动态口令")


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "succeeded", "ip", "where")
    list_filter = ("succeeded", "where")
    search_fields = ("username", "ip")


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
            do_revoke_api_token(actor=request.user, token=token)  # type: ignore[arg-type]
        messages.success(request, f"已吊销{queryset.count()}个令牌")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return  # nothing of a token is edited: it is revoked (the action) and issued anew
        token, raw = do_issue_api_token(user=request.user, name=obj.name)  # type: ignore[arg-type]
        obj.pk = token.pk
        messages.warning(
            request, f"令牌已生成，代表您本人（{request.user}），只显示这一次，请妥善保存：{raw}"
        )

"""The administration site: open to the three administrators only (accounts/duties.py decides
what each sees), and signing in through the product's own login (password, lock-out, second
factor), never a weaker door of its own."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


class LiandongAdminSite(AdminSite):
    site_header = "联动 · 于洪区110非警务警情联动处置平台"
    site_title = "联动管理"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        from liandong.accounts.duties import ADMIN_ROLES

        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "role", "") in ADMIN_ROLES)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Every page of a model's admin (its own custom views included) is refused to an
        administrator whose duty does not cover the model, whatever the ModelAdmin says."""
        from liandong.accounts.duties import allows

        inner = super().admin_view(view, cacheable)
        model = getattr(getattr(view, "__self__", None), "model", None)
        if model is None:
            return inner
        label = model._meta.label_lower

        @wraps(view)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            role = str(getattr(request.user, "role", ""))
            if self.has_permission(request) and not allows(role, label, "view"):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return gated

    def password_change(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """Changing one's own password (old one required), written through the action."""
        from django.contrib.admin.forms import AdminPasswordChangeForm
        from django.contrib.auth.views import PasswordChangeView
        from django.urls import reverse

        from liandong.accounts.services import do_set_password

        class OwnPasswordForm(AdminPasswordChangeForm):
            def save(self, commit: bool = True) -> Any:
                return do_set_password(
                    actor=self.user, person=self.user, raw=self.cleaned_data["new_password1"]
                )

        request.current_app = self.name
        return PasswordChangeView.as_view(
            form_class=OwnPasswordForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        target = request.GET.get("next") or "/admin/"
        return HttpResponseRedirect("/login/?" + urlencode({"next": target}))


class LiandongAdminConfig(AdminConfig):
    default_site = "liandong.accounts.admin_site.LiandongAdminSite"

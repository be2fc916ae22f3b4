"""Authentication for the JSON API: browser sessions (with CSRF) for people, bearer tokens for
programs. Both resolve to a User and then go through the same access gate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.security.session import SessionAuth
from ninja.utils import check_csrf

from liandong import clock
from liandong.accounts.models import ApiToken, User, hash_token
from liandong.audit import context as audit_context


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        now = clock.now()
        if row is None or not row.user.is_active:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None  # expired: 401 like an unknown token
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        audit_context.mark_token(token_id=row.pk, prefix=row.prefix)
        return row.user


class ActiveSessionAuth(SessionAuth):
    """A person's browser session. Without a signed-in session there is nothing to protect from
    cross-site requests: the caller is unauthenticated (401), not refused for CSRF (403)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF校验未通过：请刷新页面后重试")
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH: list[APIKeyCookie | HttpBearer] = [TokenAuth(), ActiveSessionAuth()]

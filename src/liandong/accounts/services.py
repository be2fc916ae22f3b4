from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from liandong import clock
from liandong.accounts.models import ApiToken, User, hash_token

#: How long a token lives unless said otherwise (a program's key is renewed at least quarterly).
TOKEN_DAYS = 90


@transaction.atomic
def do_issue_api_token(*, user: User, name: str, days: int = TOKEN_DAYS) -> tuple[ApiToken, str]:
    """Create a token valid for `days`; the raw key is returned once and never stored."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:8],
        key_hash=hash_token(raw),
        expires_at=clock.now() + timedelta(days=days),
    )
    return token, raw


@transaction.atomic
def do_revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good (a revoked token is never valid again; issue a new one)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
    return locked

from __future__ import annotations

from django.db import transaction

from liandong.accounts.models import ApiToken, User, hash_token


@transaction.atomic
def do_issue_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw key is returned once and never stored."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:8], key_hash=hash_token(raw))
    return token, raw

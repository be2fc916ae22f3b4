"""Encryption of stored secrets (city keys, channel credentials, second-factor secrets) with a key
from the environment (LIANDONG_SECRETS_KEY).

Rotation: set LIANDONG_SECRETS_KEY="new,old" (comma-separated, newest first): new secrets are
encrypted with the first key, stored ones decrypt with any; `liandong rotate_secrets` then
re-encrypts every stored secret with the first key, after which the old key can be dropped."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets as _random

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)
_DEV_KEY = "liandong-development-secrets-key"


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in os.environ.get("LIANDONG_SECRETS_KEY", "").split(",") if k.strip()]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))
            for key in keys or [_DEV_KEY]
        ]
    )


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Wrong LIANDONG_SECRETS_KEY: the key is unusable, never shown.
        log.error("a stored secret cannot be decrypted: check LIANDONG_SECRETS_KEY")
        return None


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def new_secret() -> str:
    return _random.token_urlsafe(32)


def rotated(token: str) -> str | None:
    """`token` re-encrypted with the first key (None when no key decrypts it)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        return None


#: Where secrets are stored: columns named like this, in any model.
def _is_secret_column(name: str) -> bool:
    return name.endswith("_encrypted") or name == "totp_secret"


def do_rotate_stored_secrets() -> tuple[int, int]:
    """Re-encrypt every stored secret with the first key, row by row, each in its own small
    transaction (a rotation may be interrupted and run again). Returns (rotated, unreadable)."""
    from django.apps import apps
    from django.db import transaction

    done = unreadable = 0
    for model in apps.get_models():
        columns = [f.name for f in model._meta.concrete_fields if _is_secret_column(f.name)]
        if not columns:
            continue
        for pk in model._default_manager.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = model._default_manager.select_for_update().filter(pk=pk).first()
                if row is None:
                    continue
                changes = {}
                for column in columns:
                    value = getattr(row, column)
                    if not value:
                        continue
                    fresh = rotated(value)
                    if fresh is None:
                        unreadable += 1
                    else:
                        changes[column] = fresh
                        done += 1
                if changes:
                    model._default_manager.filter(pk=pk).update(**changes)
    return done, unreadable

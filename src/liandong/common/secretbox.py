"""Encryption of stored secrets (city keys, channel credentials) with a key from the environment
(LIANDONG_SECRETS_KEY)."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets as _random

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)
_DEV_KEY = "liandong-development-secrets-key"


def _fernet() -> Fernet:
    key = os.environ.get("LIANDONG_SECRETS_KEY", "")
    if not key:
        key = _DEV_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


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

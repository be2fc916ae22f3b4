"""The contract's request signature: HMAC-SHA256 over "{timestamp}.{raw body}". Pure Python."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

MAX_SKEW_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def matches_any(secrets: Iterable[str], timestamp: str, body: bytes, given: str) -> bool:
    """Constant-time comparison against every active secret (rotation)."""
    given_bytes = given.encode("utf-8", "surrogateescape")  # headers may carry any characters
    found = False
    for secret in secrets:
        # No early exit: every key is compared, so timing says nothing about which one matched.
        found |= hmac.compare_digest(signature(secret, timestamp, body).encode(), given_bytes)
    return found


def timestamp_is_fresh(timestamp: str, now_unix: float) -> bool:
    try:
        value = int(timestamp)
    except ValueError:
        return False
    return abs(now_unix - value) <= MAX_SKEW_SECONDS


def signed_headers(peer_id: str, secret: str, body: bytes, now_unix: float) -> dict[str, str]:
    ts = str(int(now_unix))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Peer-Id": peer_id,
        "X-Timestamp": ts,
        "X-Signature": signature(secret, ts, body),
    }

"""Peers and their keys: reads for authentication and signing, and the actions that change them.

Authentication reads a peer's inbound secrets from a per-process cache (`inbound_secrets`): the
city signs every request, and reading and decrypting the keys each time cost two queries and a
decryption per hand-over. An entry lives KEY_CACHE_SECONDS at most, and any change to a peer or a
key in this process (the actions below, the admin, a save anywhere) empties the cache at once and
again when its transaction commits. So a key revoked or added, or a peer switched off, takes
effect at once in the process that changed it and within KEY_CACHE_SECONDS in the others."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from liandong import clock
from liandong.citylink.models import CityPeer, KeyDirection, PeerKey
from liandong.common import secretbox as keystore
from liandong.common.errors import InvalidInput

#: How long another server process may still accept a key revoked elsewhere (docs/security.md).
KEY_CACHE_SECONDS = 5.0


def active_secrets(peer: CityPeer, direction: str) -> list[str]:
    rows = PeerKey.objects.filter(peer=peer, direction=direction, active=True).order_by(
        "-created_at"
    )
    return [s for s in (keystore.decrypt(k.secret_encrypted) for k in rows) if s is not None]


def signing_secret(peer: CityPeer) -> str | None:
    """The newest active outbound key signs what the district sends."""
    secrets = active_secrets(peer, KeyDirection.OUTBOUND)
    return secrets[0] if secrets else None


@dataclass(frozen=True)
class InboundPeer:
    """An active peer as authentication sees it: who, and the secrets that may sign for it."""

    pk: int
    peer_id: str
    secrets: tuple[str, ...]


#: (LIANDONG_SECRETS_KEY, peer id) → (when it was read, what was read). Under another secrets
#: key (a test's, a rotation's) nothing read before is reused.
_cache: dict[tuple[str, str], tuple[float, InboundPeer]] = {}
_cache_lock = threading.Lock()


def inbound_peer(peer_id: str) -> InboundPeer | None:
    """The active peer named `peer_id` with its active inbound secrets (None: no such active
    peer), from the cache when it was read less than KEY_CACHE_SECONDS ago. Unknown names are not
    cached: a peer created a moment ago is known at once."""
    now = time.monotonic()
    key = (os.environ.get("LIANDONG_SECRETS_KEY", ""), peer_id)
    found = _cache.get(key)
    if found is not None and now - found[0] < KEY_CACHE_SECONDS:
        return found[1]
    peer = CityPeer.objects.filter(peer_id=peer_id, active=True).only("pk", "peer_id").first()
    if peer is None:
        return None
    entry = InboundPeer(
        pk=peer.pk,
        peer_id=peer.peer_id,
        secrets=tuple(active_secrets(peer, KeyDirection.INBOUND)),
    )
    with _cache_lock:
        _cache[key] = (now, entry)
    return entry


def forget_cached_peers(**_: Any) -> None:
    """Empty the cache now and again when the current transaction commits (a reader between
    the two would otherwise keep what the transaction is about to change)."""
    _forget_now()
    transaction.on_commit(_forget_now)


def _forget_now() -> None:
    with _cache_lock:
        _cache.clear()


for _model in (CityPeer, PeerKey):
    post_save.connect(forget_cached_peers, sender=_model, dispatch_uid=f"peers-{_model.__name__}")
    post_delete.connect(
        forget_cached_peers, sender=_model, dispatch_uid=f"peers-d{_model.__name__}"
    )


@transaction.atomic
def do_add_peer_key(
    *, peer: CityPeer, direction: str, secret: str | None = None, label: str = ""
) -> tuple[PeerKey, str]:
    """Store a new key (generated when none is given). Returns the key and the secret, which is
    shown once to the administrator and never again."""
    if direction not in KeyDirection.values:
        raise InvalidInput.one("direction", "invalid_choice", "密钥用途应为 inbound 或 outbound")
    secret = (secret or "").strip() or keystore.new_secret()
    if len(secret) < 16:
        raise InvalidInput.one("secret", "too_short", "密钥至少16个字符")
    key = PeerKey.objects.create(
        peer=peer,
        direction=direction,
        label=label,
        fingerprint=keystore.fingerprint(secret),
        secret_encrypted=keystore.encrypt(secret),
    )
    return key, secret


@transaction.atomic
def do_revoke_peer_key(*, key: PeerKey) -> None:
    PeerKey.objects.filter(pk=key.pk).update(active=False, revoked_at=clock.now())
    forget_cached_peers()

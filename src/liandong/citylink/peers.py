"""Peers and their keys: reads for authentication and signing, and the actions that change them."""

from __future__ import annotations

from django.db import transaction

from liandong import clock
from liandong.citylink.models import CityPeer, KeyDirection, PeerKey
from liandong.common import secretbox as keystore
from liandong.common.errors import InvalidInput


def active_secrets(peer: CityPeer, direction: str) -> list[str]:
    rows = PeerKey.objects.filter(peer=peer, direction=direction, active=True).order_by(
        "-created_at"
    )
    return [s for s in (keystore.decrypt(k.secret_encrypted) for k in rows) if s is not None]


def signing_secret(peer: CityPeer) -> str | None:
    """The newest active outbound key signs what the district sends."""
    secrets = active_secrets(peer, KeyDirection.OUTBOUND)
    return secrets[0] if secrets else None


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

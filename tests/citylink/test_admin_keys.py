"""Administrators manage the city peer and its keys; a secret is shown once and stored encrypted."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from liandong.citylink.models import CityPeer, PeerKey
from liandong.common import secretbox as keystore
from tests.factories import UserFactory


def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    return client


def test_a_generated_key_is_shown_once_and_stored_encrypted(db):
    peer = CityPeer.objects.create(peer_id="shenyang-city")
    client = admin_client()
    response = client.post(
        reverse("admin:citylink_peerkey_add"),
        {"peer": peer.pk, "direction": "inbound", "label": "2026年第四季度", "secret": ""},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [
        line for line in response.content.decode().splitlines() if "只显示这一次" in line
    ]
    assert any("只显示这一次" in m for m in shown)
    key = PeerKey.objects.get()
    secret = keystore.decrypt(key.secret_encrypted)
    assert secret and secret not in key.secret_encrypted
    assert key.fingerprint == keystore.fingerprint(secret)
    # Never shown again: the key's page does not contain it
    page = client.get(reverse("admin:citylink_peerkey_change", args=[key.pk])).content.decode()
    assert secret not in page and key.secret_encrypted not in page


def test_a_given_secret_is_kept_and_not_echoed(db):
    peer = CityPeer.objects.create(peer_id="shenyang-city")
    client = admin_client()
    given = "a-secret-agreed-with-the-city-0001"
    response = client.post(
        reverse("admin:citylink_peerkey_add"),
        {"peer": peer.pk, "direction": "outbound", "label": "", "secret": given},
        follow=True,
    )
    assert given not in response.content.decode()
    assert keystore.decrypt(PeerKey.objects.get().secret_encrypted) == given


def test_revoking_a_key_in_the_admin(db):
    from liandong.citylink.peers import do_add_peer_key

    peer = CityPeer.objects.create(peer_id="shenyang-city")
    key, _ = do_add_peer_key(peer=peer, direction="inbound")
    client = admin_client()
    client.post(
        reverse("admin:citylink_peerkey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert not key.active and key.revoked_at is not None

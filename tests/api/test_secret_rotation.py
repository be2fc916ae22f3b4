"""Rotating the secrets key: new secrets under the first key, old ones still readable, and
`liandong rotate_secrets` re-encrypts every stored secret so the old key can go."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from liandong.accounts.models import Role
from liandong.common import secretbox
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_key_rotation_re_encrypts_every_stored_secret(monkeypatch):
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "old-key")
    person = UserFactory(role=Role.DISPATCHER, totp_secret=secretbox.encrypt("JBSWY3DPEHPK3PXP"))
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "new-key,old-key")
    assert secretbox.decrypt(person.totp_secret) == "JBSWY3DPEHPK3PXP"  # old still readable
    call_command("rotate_secrets")
    person.refresh_from_db()
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "new-key")  # the old key dropped
    assert secretbox.decrypt(person.totp_secret) == "JBSWY3DPEHPK3PXP"


def test_a_secret_no_key_opens_is_reported_and_left_alone(monkeypatch):
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "lost-key")
    person = UserFactory(role=Role.DISPATCHER, totp_secret=secretbox.encrypt("JBSWY3DPEHPK3PXP"))
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "other-key")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="无法"):
        call_command("rotate_secrets")
    before = person.totp_secret
    person.refresh_from_db()
    assert person.totp_secret == before

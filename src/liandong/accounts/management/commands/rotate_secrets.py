"""`liandong rotate_secrets`: after LIANDONG_SECRETS_KEY="new,old", re-encrypt every stored secret
(city keys, channel passwords, second-factor secrets) with the new key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liandong.common.secretbox import do_rotate_stored_secrets


class Command(BaseCommand):
    help = "用 LIANDONG_SECRETS_KEY 的第一个密钥重新加密所有已保存的密钥（密钥轮换）"

    def handle(self, *args: Any, **options: Any) -> None:
        done, unreadable = do_rotate_stored_secrets()
        self.stdout.write(f"已重新加密{done}项")
        if unreadable:
            raise CommandError(f"{unreadable}项无法用任何已配置的密钥解密，未改动；请检查密钥")

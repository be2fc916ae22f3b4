"""`liandong check --deploy`: besides Django's own deployment checks, the installation's keys and
host names (docs/security-settings.md)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core import checks

DEVELOPMENT_SECRET_KEY = "liandong-insecure-development-key-change-me"


def keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if not os.environ.get("LIANDONG_SECRET_KEY") or settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        found.append(
            checks.Error(
                "未设置 LIANDONG_SECRET_KEY：正在使用公开的开发密钥，任何人都能伪造会话和签名。",
                hint="设置为一串足够长的随机字符（至少50个字符），妥善保管。",
                id="liandong.E001",
            )
        )
    if not os.environ.get("LIANDONG_SECRETS_KEY"):
        found.append(
            checks.Error(
                "未设置 LIANDONG_SECRETS_KEY：对接密钥和通知渠道口令将用公开的默认密钥加密。",
                hint="设置为一串足够长的随机字符，与数据库分开保管（丢失后需重新录入各对接密钥）。",
                id="liandong.E002",
            )
        )
    if not os.environ.get("LIANDONG_ALLOWED_HOSTS"):
        found.append(
            checks.Warning(
                "未设置 LIANDONG_ALLOWED_HOSTS：服务器只接受 localhost、127.0.0.1 的访问。",
                hint="设置为用户访问本系统所用的域名，多个用逗号分隔。",
                id="liandong.W003",
            )
        )
    return found


def register() -> None:
    checks.register(keys, checks.Tags.security, deploy=True)

"""`liandong create_administrator USERNAME --role admin|security_admin|auditor [--name 姓名]`:
one of the installation's three administrators (三员分立). The password is asked for twice, or read
from LIANDONG_NEW_PASSWORD for an unattended installation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liandong.accounts.models import Role
from liandong.accounts.services import do_create_administrator
from liandong.audit import context
from liandong.common.errors import InvalidInput

ROLES = {
    "admin": Role.ADMIN,
    "security_admin": Role.SECURITY_ADMIN,
    "auditor": Role.AUDITOR,
}


class Command(BaseCommand):
    help = "创建系统管理员、安全管理员或安全审计员账号（三员分立）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("LIANDONG_NEW_PASSWORD") or ""
        if not password:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致")
        role = ROLES[options["role"]]
        try:
            with context.acting(method="cli"):
                person = do_create_administrator(
                    username=options["username"],
                    name=options["name"] or options["username"],
                    role=role,
                    raw_password=password,
                )
        except InvalidInput as exc:
            raise CommandError("；".join(f.message for f in exc.fields)) from exc
        self.stdout.write(f"已创建{person.get_role_display()}：{person.username}")

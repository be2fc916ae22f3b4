"""`liandong audit verify` checks the trail and exits 1 at the first broken link;
`liandong audit seal` links the entries written since the worker's last round."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from liandong.audit import context
from liandong.audit.kinds import AuditKind
from liandong.audit.services import do_record, do_seal
from liandong.audit.verify import verify


class Command(BaseCommand):
    help = "审计链：verify 校验（发现断裂时以非零状态退出），seal 将新记录链入"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "seal"])
        parser.add_argument(
            "--no-seal", action="store_true", help="校验前不先链入新记录（只读校验）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting(method="cli"):
            if options["action"] == "seal":
                self.stdout.write(f"已链入{do_seal(limit=10**12, everywhere=True)}条审计记录")
                return
            if not options["no_seal"]:
                do_seal(limit=10**12, everywhere=True)
            report = verify()
            if report.ok:
                self.stdout.write(
                    f"审计链完整：{report.links}环，已核对{report.events}条业务事件；"
                    f"未入链{report.unsealed}条；链头摘要 {report.head}"
                )
                do_record(
                    kind=AuditKind.AUDIT_VERIFIED,
                    summary=f"审计链校验通过（{report.links}环）",
                    data={"links": report.links, "head": report.head},
                )
                return
            self.stderr.write(f"审计链断裂：{report.problem}")
            self.stderr.write(f"此前{report.links}环完整，已核对{report.events}条业务事件")
            do_record(
                kind=AuditKind.AUDIT_VERIFIED,
                summary=f"审计链校验失败：{report.problem}"[:300],
                data={"problem": str(report.problem)},
            )
            sys.exit(1)

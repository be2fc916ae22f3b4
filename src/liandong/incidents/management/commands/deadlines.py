import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from liandong.sla.selectors import plan_for


class Command(BaseCommand):
    help = "Print the deadlines an instruction would get, using this installation's calendar."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--level", type=int, choices=[1, 2], required=True)
        parser.add_argument(
            "--dispatched-at",
            required=True,
            help="RFC 3339 time with offset, e.g. 2026-11-30T09:15:00+08:00",
        )
        parser.add_argument("--tier", type=int, choices=[1, 2, 3], default=1)
        parser.add_argument("--role", choices=["primary", "cooperating"], default="primary")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dispatched_at = datetime.fromisoformat(options["dispatched_at"].replace("Z", "+00:00"))
        except ValueError as exc:
            raise CommandError(f"--dispatched-at: not a time: {options['dispatched_at']}") from exc
        if dispatched_at.tzinfo is None:
            raise CommandError("--dispatched-at: the time must carry its offset, e.g. +08:00")
        if "sla_holidayyear" not in connection.introspection.table_names():
            raise CommandError(
                "this installation has no database yet: run `liandong migrate` and "
                "`liandong load_defaults` first (or `liandong demo`)"
            )
        plan = plan_for(
            level=options["level"],
            dispatched_at=dispatched_at,
            tier=options["tier"],
            role=options["role"],
        )
        self.stdout.write(
            json.dumps(
                {
                    "sign": plan.sign.at.isoformat(),
                    "feedback": plan.feedback.at.isoformat(),
                    "result": plan.result.at.isoformat(),
                    "caller_contact_minutes": plan.caller_contact_minutes,
                    "provisional": plan.provisional,
                },
                ensure_ascii=False,
            )
        )

"""`liandong anonymise [--days N] [--dry-run]`: anonymise the callers of finished incidents now
(the worker does it on its own once an hour, after LIANDONG_ANONYMISE_AFTER_DAYS days)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liandong import clock
from liandong.incidents.actions import anonymisable_incidents, do_anonymise_closed_incidents


class Command(BaseCommand):
    help = "Anonymise the caller's name and phone of incidents finished more than N days ago."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="days after the end of an incident (default: LIANDONG_ANONYMISE_AFTER_DAYS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the incidents, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is None:
            days = int(settings.LIANDONG_ANONYMISE_AFTER_DAYS)
        if days < 0:
            raise CommandError("--days 不能为负数")
        if days == 0:
            self.stdout.write("未启用匿名化（天数为 0）：没有处理任何警情")
            return
        now = clock.now()
        if options["dry_run"]:
            count = anonymisable_incidents(now=now, older_than_days=days).count()
            self.stdout.write(f"将匿名化 {count} 起结束超过 {days} 天的警情（试运行，未做更改）")
            return
        done = do_anonymise_closed_incidents(now=now, older_than_days=days)
        self.stdout.write(f"已匿名化 {done} 起结束超过 {days} 天的警情")

"""liandong bulletin --month YYYY-MM --out DIR: the month's bulletin as .docx and .xlsx (drafted
first if it does not exist yet)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liandong.assessment.actions import do_draft_bulletin
from liandong.assessment.documents import bulletin_file


class Command(BaseCommand):
    help = "月度通报：写出 .docx 和 .xlsx（该月尚无通报时先起草）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--month", required=True, help="月份，如 2026-11")
        parser.add_argument("--out", required=True, help="输出目录")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = date.fromisoformat(options["month"] + "-01")
        except ValueError as exc:
            raise CommandError("月份格式应为 2026-11") from exc
        folder = Path(options["out"])
        folder.mkdir(parents=True, exist_ok=True)
        bulletin = do_draft_bulletin(month=month)
        for kind in ("docx", "xlsx"):
            data, _, name = bulletin_file(bulletin, kind)
            (folder / name).write_bytes(data)
            self.stdout.write(str(folder / name))

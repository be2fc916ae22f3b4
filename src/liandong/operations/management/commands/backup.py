from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liandong.operations.backup import create_backup, default_name
from liandong.operations.database import OperationFailed


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one tar archive (docs/deployment.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--out", type=Path, help="the archive to write (default: a timestamped name here)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["out"] or Path.cwd() / default_name()
        try:
            summary = create_backup(out)
        except OperationFailed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"备份完成：{summary.path}\n"
            f"  {summary.tables} 张表，共 {summary.rows} 行；{summary.files} 个上传文件；"
            f"大小 {summary.size / 1024 / 1024:.1f} MB"
        )

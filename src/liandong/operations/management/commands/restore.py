from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liandong.operations.database import OperationFailed
from liandong.operations.restore import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup archive into this installation (stop the server and worker first), "
        "then check row counts and checksums against the archive's manifest."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", type=Path, help="the archive written by `liandong backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already has incidents"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = restore_backup(options["archive"], force=options["force"])
        except OperationFailed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已恢复 {outcome.tables} 张表和 {outcome.files} 个上传文件。")
        for note in outcome.notes:
            self.stdout.write(note)
        if outcome.differences:
            for line in outcome.differences:
                self.stdout.write(f"  {line}")
            raise CommandError(f"校验未通过：{len(outcome.differences)} 处与备份不一致（见上）。")
        self.stdout.write("校验通过：行数、各表校验和与上传文件都与备份一致。")

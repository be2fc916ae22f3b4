from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liandong.common.errors import InvalidInput
from liandong.incidents.actions.recompute import recompute_until_done
from liandong.sla.models import CalendarRecompute
from liandong.sla.services import do_import_calendar_yaml


class Command(BaseCommand):
    help = (
        "Import (or correct) holiday arrangements from a YAML file shaped like the shipped "
        "calendar-cn.yaml: {2027: {holidays: [...], makeup_workdays: [...]}}. All years or none; "
        "then the open deadlines that the change moves are recomputed here, in chunks, as the "
        "worker would (--leave-to-worker: only write the job and return)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", default="", help="the notice the dates come from")
        parser.add_argument(
            "--leave-to-worker",
            action="store_true",
            help="do not recompute the open deadlines here; the worker does it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = options["path"].read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {options['path']}: {exc}") from exc
        try:
            years = do_import_calendar_yaml(text=text, source=options["source"])
        except InvalidInput as exc:
            raise CommandError(
                "; ".join(f.message for f in exc.fields) + " (nothing imported)"
            ) from exc
        for year in years:
            self.stdout.write(f"{year}: imported")
        if options["leave_to_worker"]:
            self.stdout.write("open deadlines: left to the worker")
            return
        recompute_until_done()
        job = CalendarRecompute.objects.first()
        moved = job.moved if job else 0
        self.stdout.write(f"open deadlines: recomputed, {moved} moved")

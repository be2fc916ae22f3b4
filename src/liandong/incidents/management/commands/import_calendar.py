from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError

from liandong.common.errors import InvalidInput
from liandong.sla.services import do_save_holiday_year


class Command(BaseCommand):
    help = (
        "Import (or correct) holiday arrangements from a YAML file shaped like the shipped "
        "calendar-cn.yaml: {2027: {holidays: [...], makeup_workdays: [...]}}. Open deadlines "
        "that the change moves are recomputed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", default="", help="the notice the dates come from")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = yaml.safe_load(options["path"].read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(f"cannot read {options['path']}: {exc}") from exc
        if not isinstance(data, dict) or not data:
            raise CommandError(
                "the file must map years to {holidays: [...], makeup_workdays: [...]}"
            )
        for year, arrangement in sorted(data.items()):
            try:
                do_save_holiday_year(
                    year=int(year),
                    holidays=(arrangement or {}).get("holidays", []),
                    makeup_workdays=(arrangement or {}).get("makeup_workdays", []),
                    source=options["source"],
                )
            except InvalidInput as exc:
                problems = "; ".join(f.message for f in exc.fields)
                raise CommandError(f"{year}: {problems} (nothing imported for {year})") from exc
            self.stdout.write(f"{year}: imported")

"""liandong stats --from DATE --to DATE --by unit|category|street|tier|level|class
--format json|xlsx [--out FILE]"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liandong.common.errors import InvalidInput
from liandong.stats.export import stats_xlsx
from liandong.stats.period import parse_period
from liandong.stats.services import statistics


class Command(BaseCommand):
    help = "统计：按单位、级别、类别、街道等分组的警情与指令指标（JSON 或 .xlsx）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="start", required=True, help="开始日期，如 2026-11-01")
        parser.add_argument("--to", dest="end", required=True, help="结束日期（含），如 2026-11-30")
        parser.add_argument("--by", default="unit", help="unit|tier|category|street|level|class")
        parser.add_argument("--format", default="json", choices=["json", "xlsx"])
        parser.add_argument("--out", help="写入文件（xlsx 必须指定）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start, end, by = parse_period(options["start"], options["end"], options["by"])
        except InvalidInput as exc:
            raise CommandError("；".join(f.message for f in exc.fields)) from exc
        result = statistics(start=start, end=end, by=by)
        if options["format"] == "xlsx":
            if not options["out"]:
                raise CommandError("--format xlsx 需要 --out 文件名")
            with open(options["out"], "wb") as handle:
                handle.write(stats_xlsx(result))
            return
        text = json.dumps(result, ensure_ascii=False, indent=2)
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text + "\n")

"""`liandong triage-eval FILE [--predictions OUT.csv]`: score the proposals against a labelled
file (CSV, TSV or .xlsx; columns content and address required, category, class and level
optional) and print top-1/top-3 accuracy per labelled field and the confusions; write one
prediction per input row with --predictions. Needs only `migrate` and `load_defaults`."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liandong.triage import data, evaluation
from liandong.triage.learn import Example, train
from liandong.triage.proposal import propose
from liandong.triage.selectors import active_model, catalogue, street_answer


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "是")


class Command(BaseCommand):
    help = "用带标注的文件评估研判建议的准确率"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument("--predictions", type=Path, default=None)
        parser.add_argument(
            "--held-out",
            action="store_true",
            help="评估内置样本的留出部分（模型只用其余样本训练），代替FILE",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["held_out"]:
            training, held_out = data.split(data.shipped())
            model, version = train(training, data.vocabulary()), "内置（不含留出部分）"
            rows = [
                {
                    "content": e.content,
                    "address": e.address,
                    "category": e.category,
                    "class": e.incident_class,
                    "level": str(e.level),
                    "police": "1" if e.police else "0",
                }
                for e in held_out
            ]
        else:
            path: Path | None = options["file"]
            if path is None or not path.exists():
                raise CommandError(f"文件不存在：{path}")
            try:
                rows = evaluation.read_table(path)
            except evaluation.BadFile as exc:
                raise CommandError(str(exc)) from exc
            model, version = active_model()
        entries = catalogue()
        started = time.perf_counter()
        proposals = []
        for row in rows:
            address = row.get("address") or ""
            example = Example(
                content=row.get("content") or "",
                address=address,
                police=_flag(row.get("police")),
                urgent=_flag(row.get("urgent")),
            )
            proposals.append(
                propose(model, example, entries, street_answer(address), version=version)
            )
        elapsed = time.perf_counter() - started
        scores, confusion = evaluation.score(rows, proposals)
        self.stdout.write(
            f"{len(rows)}行，模型{version}，每条平均{elapsed / max(len(rows), 1) * 1000:.1f} ms"
        )
        for item in scores:
            self.stdout.write(item.line())
        for name, counter in confusion.items():
            if counter:
                self.stdout.write(f"混淆（标注 → 建议）{name}:")
                for line in evaluation.confusion_lines(counter):
                    self.stdout.write(line)
        out: Path | None = options["predictions"]
        if out is not None:
            with out.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(evaluation.PREDICTION_COLUMNS)
                for p in proposals:
                    writer.writerow(evaluation.prediction_row(p))
            self.stdout.write(f"已写入{len(proposals)}行预测：{out}")

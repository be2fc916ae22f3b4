"""`liandong triage-train` trains a new version from the shipped examples and the office's
confirmed decisions and makes it active; `--rollback` goes back to the previous version;
`--list` shows the versions with their held-out scores."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liandong.audit import context
from liandong.common.errors import InvalidInput
from liandong.triage.models import ModelVersion
from liandong.triage.services import do_roll_back_model, do_train_model


def _scores(metrics: dict[str, Any]) -> str:
    parts = []
    for name in ("category", "class", "level"):
        m = metrics.get(name) or {}
        if m.get("top1") is not None:
            parts.append(f"{name} {m['top1']:.1%}" + (f"/{m['top3']:.1%}" if "top3" in m else ""))
    return "，".join(parts)


class Command(BaseCommand):
    help = "训练研判模型新版本（或 --rollback 回退、--list 列出版本）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rollback", action="store_true")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting(method="cli"):
            if options["list"]:
                for v in ModelVersion.objects.order_by("number"):
                    mark = "（当前）" if v.active else ""
                    self.stdout.write(
                        f"第{v.number}版{mark} {v.created_at:%Y-%m-%d %H:%M} {v.trained_by} "
                        f"内置{v.shipped_examples}条+确认{v.confirmed_examples}条 {_scores(v.metrics)}"
                    )
                return
            if options["rollback"]:
                try:
                    target = do_roll_back_model(by="命令行回退")
                except InvalidInput as exc:
                    raise CommandError(exc.fields[0].message) from exc
                self.stdout.write(
                    f"已回退到{'第' + str(target.number) + '版' if target else '内置模型'}"
                )
                return
            version = do_train_model(trained_by="命令行训练")
            self.stdout.write(
                f"已训练并启用第{version.number}版（内置{version.shipped_examples}条+确认"
                f"{version.confirmed_examples}条）：留出集 {_scores(version.metrics)}"
            )

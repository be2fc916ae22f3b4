"""liandong rebuild_stats_facts: rebuild every instruction's statistics fact (after a bulk load)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from liandong.stats.facts import do_rebuild_all_facts


class Command(BaseCommand):
    help = "重建全部指令的统计数据（批量导入数据之后使用）"

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()
        built = do_rebuild_all_facts()
        self.stdout.write(f"已重建{built}条指令的统计数据，用时{time.monotonic() - began:.0f}秒")

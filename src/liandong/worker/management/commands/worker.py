from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from liandong.worker.loop import run_once, run_worker_process


class Command(BaseCommand):
    help = "Run the background worker (deadline sweeps and deliveries)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="do one round and exit")
        parser.add_argument("--interval", type=float, default=settings.LIANDONG_WORKER_INTERVAL)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(f"handled {run_once()} item(s)")
            return
        run_worker_process(interval=options["interval"])

from typing import Any

from django.core.management.base import BaseCommand

from liandong.sla.defaults import load_default_calendar
from liandong.units.services import load_default_organisation


class Command(BaseCommand):
    help = (
        "Load the default units, catalogue, holiday calendar and time limits (keeps edited rows)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        load_default_organisation()
        load_default_calendar()
        if options["verbosity"] > 0:
            self.stdout.write("default data loaded")

from typing import Any

from django.core.management.base import BaseCommand

from liandong.geography.services import load_default_gazetteer
from liandong.notifications.actions import do_load_default_templates
from liandong.sla.defaults import load_default_calendar
from liandong.units.services import load_default_organisation


class Command(BaseCommand):
    help = (
        "Load the default units, catalogue, holiday calendar, time limits and message templates "
        "(keeps edited rows), and the starter gazetteer into a gazetteer that never held an entry."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        load_default_organisation()
        load_default_calendar()
        load_default_gazetteer()
        do_load_default_templates()
        if options["verbosity"] > 0:
            self.stdout.write("default data loaded")

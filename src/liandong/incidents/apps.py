from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "liandong.incidents"
    label = "incidents"
    verbose_name = "警情与指令"

    def ready(self) -> None:
        from liandong.incidents.actions.deadlines import recompute_working_day_deadlines
        from liandong.sla.services import register_calendar_hook

        register_calendar_hook(recompute_working_day_deadlines)

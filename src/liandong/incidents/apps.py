from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "liandong.incidents"
    label = "incidents"
    verbose_name = "警情与指令"

    def ready(self) -> None:
        from liandong.audit.services import record_event
        from liandong.incidents.actions import register_event_hook
        from liandong.incidents.actions.deadlines import recompute_working_day_deadlines
        from liandong.sla.services import register_calendar_hook

        register_calendar_hook(recompute_working_day_deadlines)
        # Every event gets its audit entry, in the event's own transaction.
        register_event_hook(record_event)

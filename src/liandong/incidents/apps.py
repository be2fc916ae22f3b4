from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "liandong.incidents"
    label = "incidents"
    verbose_name = "警情与指令"

    def ready(self) -> None:
        from liandong.audit.services import record_event, record_events
        from liandong.incidents.actions import register_event_hook
        from liandong.incidents.actions.recompute import count_working_day_deadlines
        from liandong.sla.services import register_calendar_hook

        # A calendar edit counts what its recompute job will look at (the worker moves them).
        register_calendar_hook(count_working_day_deadlines)
        # Every event gets its audit entry, in the event's own transaction.
        register_event_hook(record_event, many=record_events)

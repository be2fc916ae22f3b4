from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "liandong.triage"
    verbose_name = "研判辅助"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from liandong.incidents.actions import register_event_hook
        from liandong.triage.services import record_dispatch

        register_event_hook(record_dispatch)

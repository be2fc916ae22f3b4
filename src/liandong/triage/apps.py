from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "liandong.triage"
    verbose_name = "研判辅助"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from liandong.incidents.actions import register_event_hook
        from liandong.triage.records import queue_dispatch_record, queue_dispatch_records
        from liandong.triage.selectors import forget_catalogue
        from liandong.units.models import Category, Unit

        register_event_hook(queue_dispatch_record, many=queue_dispatch_records)
        for model in (Category, Unit):
            post_save.connect(
                forget_catalogue, sender=model, dispatch_uid=f"triage-{model.__name__}"
            )
            post_delete.connect(
                forget_catalogue, sender=model, dispatch_uid=f"triage-d-{model.__name__}"
            )
        m2m_changed.connect(
            forget_catalogue, sender=Category.cooperating_units.through, dispatch_uid="triage-m2m"
        )

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "liandong.audit"
    verbose_name = "安全审计"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from liandong.audit import admin_changes

        # The events' hook is registered by the incidents app (the trail knows no app above it).
        admin_changes.connect()

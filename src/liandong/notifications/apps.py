from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "liandong.notifications"
    label = "notifications"
    verbose_name = "通知外发"

    def ready(self) -> None:
        from liandong.incidents.actions import register_notification_hook
        from liandong.notifications.recipients import write_deliveries

        register_notification_hook(write_deliveries)

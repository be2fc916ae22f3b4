from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "liandong.web"
    label = "web"
    verbose_name = "界面"

    def ready(self) -> None:
        from liandong.common import live_signal
        from liandong.incidents.actions import register_event_hook
        from liandong.web import deploy_checks, session_idle

        session_idle.connect()
        deploy_checks.register()

        # Every event appended announces a change to the live screens, when it commits (events
        # appended together, once).
        def announce(_events: object) -> None:
            live_signal.changed()

        register_event_hook(announce, many=announce)

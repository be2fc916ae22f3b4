from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "liandong.web"
    label = "web"
    verbose_name = "界面"

    def ready(self) -> None:
        from liandong.web import deploy_checks, session_idle

        session_idle.connect()
        deploy_checks.register()

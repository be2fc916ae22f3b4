from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "liandong.web"
    label = "web"
    verbose_name = "界面"

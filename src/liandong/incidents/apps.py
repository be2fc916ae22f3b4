from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "liandong.incidents"
    label = "incidents"
    verbose_name = "警情与指令"

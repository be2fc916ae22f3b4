from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "liandong.operations"
    label = "operations"
    verbose_name = "运维"

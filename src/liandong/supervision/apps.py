from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "liandong.supervision"
    label = "supervision"
    verbose_name = "督办"

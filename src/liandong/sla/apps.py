from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "liandong.sla"
    label = "sla"
    verbose_name = "时限与节假日"

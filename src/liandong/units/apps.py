from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "liandong.units"
    label = "units"
    verbose_name = "单位与职责清单"

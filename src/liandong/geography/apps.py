from django.apps import AppConfig


class GeographyConfig(AppConfig):
    name = "liandong.geography"
    label = "geography"
    verbose_name = "辖区地理"

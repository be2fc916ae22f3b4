from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "liandong.stats"
    label = "stats"
    verbose_name = "统计"

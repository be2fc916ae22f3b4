from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "liandong.rosters"
    label = "rosters"
    verbose_name = "值班与联系人"

from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "liandong.assessment"
    label = "assessment"
    verbose_name = "考核与通报"

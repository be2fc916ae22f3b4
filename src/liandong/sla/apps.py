from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "liandong.sla"
    label = "sla"
    verbose_name = "时限与节假日"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from liandong.sla.models import EscalationStep, HolidayYear, TimeLimitSetting
        from liandong.sla.selectors import forget_calendar

        # a write in this process forgets the process's copy at once (sla/selectors.py)
        for model in (HolidayYear, TimeLimitSetting, EscalationStep):
            post_save.connect(
                forget_calendar, sender=model, dispatch_uid=f"forget-{model.__name__}"
            )
            post_delete.connect(
                forget_calendar, sender=model, dispatch_uid=f"forget-{model.__name__}-deleted"
            )

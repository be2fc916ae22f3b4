from django.apps import AppConfig


class CityLinkConfig(AppConfig):
    name = "liandong.citylink"
    label = "citylink"
    verbose_name = "市平台对接"

    def ready(self) -> None:
        from liandong.citylink import reports
        from liandong.incidents import actions

        actions.register_event_hook(reports.report_for_event, many=reports.reports_for_events)

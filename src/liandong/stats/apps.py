from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "liandong.stats"
    label = "stats"
    verbose_name = "统计"

    def ready(self) -> None:
        from liandong.incidents import actions
        from liandong.stats import facts

        # Every event queues its incident's facts for a refresh, in the event's transaction.
        actions.register_event_hook(facts.mark_stale, many=facts.mark_stale_many)

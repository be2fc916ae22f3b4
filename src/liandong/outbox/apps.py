from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "liandong.outbox"
    label = "outbox"
    verbose_name = "外发队列"

"""Notifications that reach people outside the product: SMS, WeCom and DingTalk group robots,
email; their settings, message templates and deliveries (one queue on the outbox)."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def epoch(moment: datetime | None) -> str:
    return f"{moment.timestamp():.0f}" if moment else ""


@register.filter
def masked(phone: str) -> str:
    """138****2345: the caller's number stays hidden until someone reveals it."""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:3] + "*" * max(1, len(phone) - 7) + phone[-4:]


@register.filter
def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分钟"


@register.filter
def isotime(value: str | None) -> str:
    """An RFC 3339 string from a selector, shown as Beijing "MM-DD HH:MM"."""
    if not value:
        return ""
    from liandong.clock import to_beijing

    return to_beijing(datetime.fromisoformat(value)).strftime("%m-%d %H:%M")


@register.filter
def get(mapping: dict, key: str) -> object:  # type: ignore[type-arg]
    """mapping[key] in a template (a figure of a statistics row)."""
    return mapping.get(key) if isinstance(mapping, dict) else None

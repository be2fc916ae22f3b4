from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from liandong.incidents.privacy import mask_name, mask_phone

register = template.Library()


@register.filter
def epoch(moment: datetime | None) -> str:
    return f"{moment.timestamp():.0f}" if moment else ""


@register.filter
def masked(phone: str) -> str:
    """138****2345: the caller's number stays hidden until someone reveals it (privacy.py)."""
    return mask_phone(phone or "")


@register.filter
def masked_name(name: str) -> str:
    """张*: the caller's name stays hidden until someone reveals it (privacy.py)."""
    return mask_name(name or "")


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


LEVEL_SHORT = {1: "一级（紧急）", 2: "二级（非紧急）"}


@register.filter
def level_short(level: int | None) -> str:
    """The one spelling of an instruction's level on every screen: 一级（紧急）/二级（非紧急）."""
    return LEVEL_SHORT.get(level or 0, "")


@register.filter
def deadline_time(moment: datetime | None) -> str:
    """A deadline in Beijing time as "MM-DD HH:MM"; the end of a day reads "12-03 24:00", not as
    the start of the next ("12-04 00:00")."""
    if moment is None:
        return ""
    from datetime import timedelta

    from liandong.clock import to_beijing

    local = to_beijing(moment)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (local - timedelta(days=1)).strftime("%m-%d") + " 24:00"
    return local.strftime("%m-%d %H:%M")


@register.filter
def longer_by(later: datetime | None, earlier: datetime | None) -> str:
    """How much later `later` is than `earlier` ("2天4小时")."""
    if later is None or earlier is None:
        return ""
    return duration(int((later - earlier).total_seconds()))


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


def _state(context: Any, form: str) -> dict[str, Any] | None:
    state = context.get("form_state")
    return state if state and state.get("form") == form else None


@register.simple_tag(takes_context=True)
def typed(context: Any, form: str, field: str, default: Any = "") -> Any:
    """What was typed into `field` of the refused form `form` (else `default`)."""
    state = _state(context, form)
    if state is None or field not in state["values"]:
        return default
    values = state["values"][field]
    return values[0] if values else ""


@register.simple_tag(takes_context=True)
def chosen(
    context: Any,
    form: str,
    field: str,
    value: Any,
    attribute: str = "checked",
    default: bool = False,
) -> str:
    """`attribute` ("checked" or "selected") when the refused form had `value` chosen in `field`
    (without a refused form: when `default`)."""
    state = _state(context, form)
    if state is None:
        return attribute if default else ""
    return attribute if str(value) in state["values"].get(field, []) else ""


@register.inclusion_tag("web/_field_error.html", takes_context=True)
def field_error(context: Any, form: str, field: str) -> dict[str, Any]:
    state = _state(context, form)
    return {"messages": state["errors"].get(field, []) if state else [], "field": field}

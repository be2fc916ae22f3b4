"""Reads of a person's notifications (the bell): what is unread, the list, what is new since the
last look. Everything starts from the gate's `visible_notifications`."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import access
from liandong.incidents.models import Notification, NotificationRead

#: The bell shows at most this many; more reads as "99+".
BELL_CAP = 99


def _read_by(user: User) -> Exists:
    return Exists(NotificationRead.objects.filter(notification=OuterRef("pk"), user=user))


def _with_read(user: User, qs: QuerySet[Notification]) -> QuerySet[Notification]:
    """Whether this person read each one, and (for a unit's people) whether its instruction is
    one they see, which is where a click leads (access.notification_target): one query."""
    qs = qs.annotate(is_read=_read_by(user))
    if access.is_unit_user(user):
        visible = access.visible_instructions(user).filter(pk=OuterRef("instruction_id"))
        qs = qs.annotate(instruction_visible=Exists(visible))
    return qs


def unread(user: User) -> QuerySet[Notification]:
    return access.visible_notifications(user).filter(~_read_by(user))


def unread_count(user: User) -> int:
    """Unread notifications, counted up to BELL_CAP + 1 (one cheap query)."""
    return len(unread(user).order_by().values_list("pk", flat=True)[: BELL_CAP + 1])


def notification_dict(user: User, n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "text": n.text,
        "incident_id": n.incident.incident_id if n.incident else None,
        "instruction": n.instruction_id,
        "created_at": clock.iso(n.created_at),
        "read": bool(getattr(n, "is_read", False)),
        "url": access.notification_target(user, n),
    }


def listing(
    user: User, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    base = unread(user) if unread_only else access.visible_notifications(user)
    qs = _with_read(user, base).select_related("incident").order_by("-created_at", "-id")
    return qs.count(), [notification_dict(user, n) for n in qs[offset : offset + limit]]


def since(user: User, last_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """Notifications newer than `last_id` (the live poll), oldest first."""
    qs = (
        _with_read(user, access.visible_notifications(user))
        .filter(pk__gt=last_id)
        .select_related("incident")
        .order_by("pk")
    )
    return [notification_dict(user, n) for n in qs[:limit]]


def latest_id(user: User) -> int:
    return (
        access.visible_notifications(user).order_by("-pk").values_list("pk", flat=True).first() or 0
    )

"""A person marks notifications as read (the bell's count goes down); reading changes nothing
else, so it appends no incident event."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import access
from liandong.incidents.models import NotificationRead


@transaction.atomic
def do_mark_notifications_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark these (or, with None, all) of the user's visible notifications as read; returns how
    many were newly marked. Ids the user cannot see are ignored."""
    visible = access.visible_notifications(user).exclude(reads__user=user)
    if ids is not None:
        visible = visible.filter(pk__in=list(ids))
    now = clock.now()
    rows = [
        NotificationRead(notification_id=pk, user=user, read_at=now)
        for pk in visible.values_list("pk", flat=True)
    ]
    NotificationRead.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)

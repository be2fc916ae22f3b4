"""The bell on every screen: the list of a person's notifications, opening one (marks it read and
goes to its incident or instruction), marking all read, and the live poll every page makes."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from liandong.incidents import access, inbox
from liandong.incidents.actions.inbox import do_mark_notifications_read
from liandong.web.common import signed_in, user_of


def bell(request: HttpRequest) -> dict[str, object]:
    """Context processor: the unread count for the bell in the header, counted only if the page
    did not count it already (the office pages read it with their counters, web/header.py)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    user = user_of(request)
    counted: list[int] = []

    def unread() -> int:  # the template calls it; counted once however often it is shown
        if not counted:
            counted.append(inbox.unread_count(user))
        return counted[0]

    return {"bell_unread": unread, "bell_cap": inbox.BELL_CAP}


@signed_in
def notifications(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    unread_only = request.GET.get("show") == "unread"
    total, _ = inbox.listing(user, unread_only=unread_only, limit=1)
    page = Paginator(range(total), 30).get_page(request.GET.get("page"))
    offset = (page.number - 1) * 30
    _, items = inbox.listing(user, unread_only=unread_only, limit=30, offset=offset)
    return render(
        request,
        "web/inbox/list.html",
        {"items": items, "page": page, "unread_only": unread_only, "tab": "inbox"},
    )


@signed_in
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    notification = access.access_notification(user, pk)
    do_mark_notifications_read(user=user, ids=[notification.pk])
    return redirect(access.notification_target(user, notification) or "notifications")


@signed_in
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    do_mark_notifications_read(user=user_of(request), ids=None)
    return redirect("notifications")


@signed_in
def live(request: HttpRequest) -> JsonResponse:
    """What every page polls: the bell's count and the notifications newer than `since`."""
    user = user_of(request)
    since = request.GET.get("since", "")
    fresh = inbox.since(user, int(since)) if since.isdigit() else []
    return JsonResponse(
        {
            "unread": inbox.unread_count(user),
            "latest": fresh[-1]["id"]
            if fresh
            else (int(since) if since.isdigit() else inbox.latest_id(user)),
            "new": fresh,
        },
        json_dumps_params={"ensure_ascii": False},
    )

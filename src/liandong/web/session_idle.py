"""Sessions end after LIANDONG_SESSION_IDLE_MINUTES without a request of the person's own, and
LIANDONG_SESSION_MAX_HOURS after signing in whatever happens (等保: 会话超时). The person is signed
out and sent to the login page with a message saying why.

The pages' background polling (the bell, the console's intake queue and board, the unit's list, the
overview's figures) does not count as activity: an open tab alone never keeps a session alive. When
such a poll finds the session ended it is answered 401, and the page reloads itself onto the login
page instead of going silently stale (static/web/app.js, overview.js)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse

from liandong import clock
from liandong.common.errors import ErrorBody

log = logging.getLogger("liandong.sessions")

SEEN = "_liandong_seen"  # epoch seconds of the person's last own request
SINCE = "_liandong_since"  # epoch seconds of signing in
TOUCH_SECONDS = 60  # the session is written again at most once a minute for activity
#: What pages fetch on their own, every few seconds (by URL name).
PASSIVE_URL_NAMES = ("live", "console-live", "console-board", "unit-rows", "api-v1:get_overview")
EXPIRED_HEADER = "X-Liandong-Session"


@cache
def passive_paths() -> frozenset[str]:
    paths = set()
    for name in PASSIVE_URL_NAMES:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:  # pragma: no cover - a renamed URL fails the tests instead
            log.warning("session_idle: no URL named %s", name)
    return frozenset(paths)


def is_passive(request: HttpRequest) -> bool:
    return request.path_info in passive_paths()


def stamp(session: Any, now: float) -> None:
    session[SINCE] = now
    session[SEEN] = now


def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        stamp(session, clock.now().timestamp())


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="liandong.session_idle")


def expiry_reason(session: Any, now: float) -> str | None:
    """Why this signed-in session has ended, in Chinese; None while it lives."""
    idle = float(settings.LIANDONG_SESSION_IDLE_MINUTES) * 60
    most = float(settings.LIANDONG_SESSION_MAX_HOURS) * 3600
    seen, since = session.get(SEEN), session.get(SINCE)
    if since is not None and most > 0 and now - float(since) > most:
        return f"本次登录已超过{settings.LIANDONG_SESSION_MAX_HOURS:g}小时，为保护数据已自动退出，请重新登录。"
    if seen is not None and idle > 0 and now - float(seen) > idle:
        return f"您已超过{settings.LIANDONG_SESSION_IDLE_MINUTES:g}分钟未操作，为保护数据已自动退出登录，请重新登录。"
    return None


class SessionIdleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        session = request.session
        now = clock.now().timestamp()
        if session.get(SEEN) is None or session.get(SINCE) is None:
            stamp(session, now)  # a session from before this rule: it starts now
            return self.get_response(request)
        reason = expiry_reason(session, now)
        if reason is not None:
            return self._ended(request, reason)
        seen = float(session[SEEN])
        if not is_passive(request) and (now - seen >= TOUCH_SECONDS or now < seen):
            session[SEEN] = now
        return self.get_response(request)

    def _ended(self, request: HttpRequest, reason: str) -> HttpResponse:
        log.info("session of %s ended: %s", request.user.get_username(), reason)
        logout(request)
        messages.warning(request, reason, fail_silently=True)
        if request.path_info.startswith("/api/"):
            response = self.get_response(request)  # now anonymous: the API answers 401
            response[EXPIRED_HEADER] = "expired"
            return response
        if is_passive(request):
            response = JsonResponse(
                ErrorBody("session_expired", reason).as_dict(),
                status=401,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = redirect_to_login(request.get_full_path())
        response[EXPIRED_HEADER] = "expired"
        return response

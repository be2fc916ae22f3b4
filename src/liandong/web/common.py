"""Small helpers shared by the office and unit screens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.dateparse import parse_datetime

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import DomainError, Forbidden, InvalidInput, NotFound
from liandong.incidents.models import Deadline, DeadlineState, Instruction
from liandong.incidents.selectors import deadline_status
from liandong.units.models import Unit
from liandong.units.selectors import unit_by_code, units_by_codes
from liandong.web.formstate import label, remember

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class BoardRow:
    """An instruction with its nearest running deadline, for the board and the workbench."""

    instruction: Instruction
    deadline: Deadline | None
    status: str  # running / warning / overdue, or "" when no clock runs
    seconds_left: float

    @property
    def paused(self) -> bool:
        """Every open clock waits for the office (a return request): nothing counts down."""
        return self.status == "paused"


def board_row(instruction: Instruction, now: datetime) -> BoardRow:
    open_ones = [d for d in instruction.deadlines.all() if d.state == DeadlineState.OPEN]
    running = [d for d in open_ones if d.paused_at is None]
    nearest = min(running, key=lambda d: d.due_at) if running else None
    return BoardRow(
        instruction=instruction,
        deadline=nearest,
        status=deadline_status(nearest, now) if nearest else ("paused" if open_ones else ""),
        seconds_left=(nearest.due_at - now).total_seconds() if nearest else float("inf"),
    )


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def login_required_for(check: Callable[[User], bool]) -> Callable[[View], View]:
    """Only users passing `check` may open the page; others get the login page or a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                if not check(user_of(request)):
                    raise Forbidden("没有权限打开此页面")
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc

        return wrapped

    return decorator


def run_action(
    request: HttpRequest,
    back: str,
    action: Callable[[], Any],
    done: str,
    *,
    after: Callable[[], str] | None = None,
) -> HttpResponse:
    """Call an action; on success say `done`, on refusal say why (and keep what the form held,
    formstate.py); go back to `back` either way."""
    try:
        with transaction.atomic():  # a view that calls several actions applies all or none
            action()
    except InvalidInput as exc:
        remember(request, errors=exc.fields, message=exc.message)
        for field in exc.fields:
            name = label(field.field)
            messages.error(request, f"{name}：{field.message}" if name else field.message)
    except DomainError as exc:
        remember(request, errors=[], message=exc.message)
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
        if after is not None:  # where to go once it is done (e.g. the next incident)
            return redirect(after())
    return redirect(back)


def units_from(request: HttpRequest, name: str) -> list[Unit]:
    return units_by_codes(name, [c for c in request.POST.getlist(name) if c])


def optional_unit(request: HttpRequest, name: str) -> Unit | None:
    code = request.POST.get(name, "")
    return unit_by_code(name, code) if code else None


def unit_from(request: HttpRequest, name: str) -> Unit:
    unit = optional_unit(request, name)
    if unit is None:
        raise InvalidInput.one(name, "required", "请选择单位")
    return unit


def local_time(request: HttpRequest, name: str, *, required: bool) -> datetime | None:
    """A <input type=datetime-local> value, read as Beijing time."""
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise InvalidInput.one(name, "required", "请填写时间")
        return None
    value = parse_datetime(raw)
    if value is None:
        raise InvalidInput.one(name, "invalid_datetime", "时间格式不正确")
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.BEIJING)
    return value


#: Any signed-in person (the page's own gate decides the rest; NotFound is a 404, Forbidden a 403).
signed_in = login_required_for(lambda user: True)

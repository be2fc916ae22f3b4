"""Who is acting, and how they proved it, for the entries written while a request (or a worker
round, or a command) runs. A context variable, so threads and the worker each have their own.

The request middleware sets the request; the API's token authentication marks the token it used;
the worker and the city link say what they are. `current()` reads it when an entry is written."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

#: The fields a context keeps for an entry written later (`Context.kept`).
_KEPT = ("method", "token_prefix", "ip", "request_id", "path")


@dataclass(frozen=True)
class Context:
    method: str = "system"  # session, token, worker, city, cli, system
    token_prefix: str = ""
    token_id: int | None = None
    ip: str | None = None
    request_id: str = ""
    path: str = ""
    request: Any = None  # the HttpRequest, to read its signed-in user lazily

    def kept(self) -> dict[str, Any]:
        """What an entry takes from this context, as plain JSON, to be written later in its
        name (a city hand-over's receipt is recorded by the worker: ADR 26)."""
        return {name: getattr(self, name) for name in _KEPT}

    @classmethod
    def from_kept(cls, kept: dict[str, Any]) -> Context:
        return cls(**{name: kept[name] for name in _KEPT if name in kept})


_NOBODY = Context()
_current: ContextVar[Context | None] = ContextVar("liandong_audit_context", default=None)


def current() -> Context:
    return _current.get() or _NOBODY


@contextlib.contextmanager
def acting(**fields: Any) -> Iterator[Context]:
    """Run a block with these context fields (e.g. `acting(method="worker")`)."""
    token = _current.set(replace(current(), **fields))
    try:
        yield current()
    finally:
        _current.reset(token)


def begin_request(request: Any) -> Any:
    ip = request.META.get("REMOTE_ADDR") or None
    rid = request.META.get("HTTP_X_REQUEST_ID", "")[:40] or uuid.uuid4().hex
    request.request_id = rid
    return _current.set(
        Context(method="session", ip=ip, request_id=rid, path=request.path[:200], request=request)
    )


def end_request(token: Any) -> None:
    _current.reset(token)


def mark_token(*, token_id: int, prefix: str) -> None:
    """The API authenticated this request by a bearer token."""
    _current.set(replace(current(), method="token", token_id=token_id, token_prefix=prefix))


def mark_peer(*, peer_id: str) -> None:
    """The city API authenticated this request by the peer's signature."""
    _current.set(replace(current(), method="city", token_prefix=peer_id[:12], request=None))

"""What every channel sender takes and gives back, and the small helpers they share.

A sender turns one `Message` into one attempt at one remote (an SMS gateway, a group robot, an SMTP
server) and reports it as a `Result`. It never raises for the network or the remote: a failure is a
Result with `ok=False`, and `permanent` tells the caller whether trying again can help. It raises
ValueError only for a configuration that can never work (see each config's `validate()`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

#: The longest `Result.error` kept, in characters.
MAX_ERROR = 500
#: What a secret is replaced with wherever a sender records text that could contain it.
REDACTED = "***"


@dataclass(frozen=True)
class Message:
    title: str  # short Chinese title, e.g. "签收即将超时"
    text: str  # plain text body
    markdown: str = ""  # optional markdown body (robots); when empty, robots send text
    mentions: tuple[str, ...] = ()  # mobile numbers to @ in group robots


@dataclass(frozen=True)
class Result:
    ok: bool
    status: int | None  # HTTP status, or an SMTP reply code, or None (timeout / connection error)
    permanent: bool  # True: retrying cannot help (bad key, bad signature, refused recipient, 4xx)
    error: str  # "" when ok; else a short reason (Chinese or the remote's own message), ≤ 500 chars
    duration_ms: int
    request_body: str = ""  # what was sent (for the stored attempt), secrets never included


def clip(text: str, limit: int = MAX_ERROR) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_utf8(text: str, max_bytes: int) -> str:
    """`text` cut so that its UTF-8 encoding takes at most `max_bytes` bytes, never inside a
    character; an ellipsis marks the cut."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    ellipsis = "…"
    budget = max_bytes - len(ellipsis.encode("utf-8"))
    if budget < 0:  # no room even for the ellipsis
        ellipsis, budget = "", max_bytes
    return text.encode("utf-8")[:budget].decode("utf-8", errors="ignore") + ellipsis


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced by `***` (longest first, so that a secret that
    contains another is hidden whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


@dataclass
class Stopwatch:
    """Milliseconds since it was made, on the monotonic clock."""

    started: float = field(default_factory=time.monotonic)

    def ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


def failure(
    error: str,
    *,
    watch: Stopwatch,
    permanent: bool,
    status: int | None = None,
    request_body: str = "",
    secrets: Iterable[str] = (),
) -> Result:
    """A failed Result; the error is redacted and clipped here, the one place that builds them."""
    secrets = tuple(secrets)
    return Result(
        ok=False,
        status=status,
        permanent=permanent,
        error=clip(redact(error, secrets)) or "发送失败",
        duration_ms=watch.ms(),
        request_body=redact(request_body, secrets),
    )


def success(
    *, watch: Stopwatch, status: int, request_body: str, secrets: Iterable[str] = ()
) -> Result:
    return Result(
        ok=True,
        status=status,
        permanent=False,
        error="",
        duration_ms=watch.ms(),
        request_body=redact(request_body, secrets),
    )


def raise_if_invalid(errors: list[str]) -> None:
    """Raise ValueError carrying the config's errors, if it has any."""
    if errors:
        raise ValueError("；".join(errors))

"""Where uploaded files live, and how a file becomes visible only with its committed row.

An upload is written first to `attachments/incoming/<token>` (durable, but named by no row that
anyone can read yet), then its row is inserted under the final name `attachments/YYYY/MM/<token>`.
When the transaction commits, the file is renamed to its final name (an atomic rename on the same
disk). If the process dies between the commit and the rename, the first reader of the row, or the
worker's sweep, finishes the rename; if the transaction rolled back, the sweep deletes the staged
file once it is old enough. So a committed row always gets its file and a rolled-back upload never
leaves one behind.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO

from django.conf import settings

INCOMING = "attachments/incoming"
#: A staged file older than this without a row belongs to a rolled-back upload.
STALE_SECONDS = 3600


def _root() -> Path:
    return Path(settings.MEDIA_ROOT)


def final_name(token: str, year: int, month: int) -> str:
    return f"attachments/{year:04d}/{month:02d}/{token}"


def stage(token: str, data: bytes) -> None:
    path = _root() / INCOMING / token
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def publish(name: str) -> bool:
    """Move the staged file of `name` to its final place; True when the final file exists."""
    target = _root() / name
    if target.exists():
        return True
    staged = _root() / INCOMING / Path(name).name
    if not staged.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    return True


def open_file(name: str) -> IO[bytes]:
    """The stored file of a committed row (finishing its publication if a crash interrupted it)."""
    publish(name)
    return open(_root() / name, "rb")


def sweep(known_names: set[str] | None = None, *, now: float | None = None) -> tuple[int, int]:
    """Finish or discard staged files older than STALE_SECONDS. `known_names` are the final
    names of committed rows among them. Returns (published, removed)."""
    folder = _root() / INCOMING
    if not folder.exists():
        return 0, 0
    moment = now if now is not None else time.time()
    published = removed = 0
    for staged in folder.iterdir():
        if moment - staged.stat().st_mtime < STALE_SECONDS:
            continue
        owners = [n for n in (known_names or set()) if Path(n).name == staged.name]
        if owners and publish(owners[0]):
            published += 1
        else:
            staged.unlink(missing_ok=True)
            removed += 1
    return published, removed


def stale_tokens(*, now: float | None = None) -> list[str]:
    """Staged files old enough for the sweep to decide about (a cheap look at the folder)."""
    folder = _root() / INCOMING
    if not folder.exists():
        return []
    moment = now if now is not None else time.time()
    return [p.name for p in folder.iterdir() if moment - p.stat().st_mtime >= STALE_SECONDS]


def remove(name: str) -> None:
    """Delete the file of a removed row (its final file, or its staged one if a crash kept it)."""
    (_root() / name).unlink(missing_ok=True)
    (_root() / INCOMING / Path(name).name).unlink(missing_ok=True)

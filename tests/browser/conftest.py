"""Browser tests: Debian's Chromium, driven by Playwright, against the app on pytest-django's live
server (a thread serving the test database; every test creates its data with transactional_db).

The whole package is skipped when /usr/bin/chromium or Playwright is missing. Never run
`playwright install` for these tests: they use the system Chromium on purpose.
"""

from __future__ import annotations

import os
import re
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "pw-test-123"
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONTEXTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "device_scale_factor": 2,
        "has_touch": True,
    },
}
TIMEOUT_MS = 10_000


def _why_skip() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the Python package `playwright` in the venv"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _why_skip()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package", autouse=True)
def _django_db_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop "running" in the test's thread, and Django then
    refuses ORM calls there (SynchronousOnlyOperation). Allow them for this package only; the
    loop stops with the browser at the end of the package, before other tests run."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def browser(_django_db_beside_playwright: None) -> Iterator[Any]:
    reason = _why_skip()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


def png_bytes(
    width: int = 16, height: int = 12, rgb: tuple[int, int, int] = (11, 61, 145)
) -> bytes:
    """A small valid PNG, for the photo upload."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Site:
    """The live site and the people using it, each in their own browser context."""

    url: str
    browser: Any
    contexts: list[Any] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)

    # --- people -------------------------------------------------------------------------------

    def person(self, role: str = "dispatcher", unit: str | None = None, **kw: Any) -> Any:
        """A user who can log in through the form (password PASSWORD)."""
        from tests.factories import UserFactory
        from tests.factories import unit as unit_named

        user = UserFactory(role=role, unit=unit_named(unit) if unit else None, **kw)
        user.set_password(PASSWORD)
        user.save()
        return user

    # --- browsers -----------------------------------------------------------------------------

    def page(self, kind: str = "desktop", user: Any = None) -> Any:
        """A new page in a fresh context (desktop 1440×900 or phone 390×844), logged in as `user`."""
        context = self.browser.new_context(
            base_url=self.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **CONTEXTS[kind],
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.liandong_kind = kind  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: self.js_errors.append(f"{page.url}: {exc}"))
        if user is not None:
            self.login(page, user)
        return page

    def login(self, page: Any, user: Any, password: str = PASSWORD) -> None:
        page.goto("/login/")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(password)
        page.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)

    def shot(self, page: Any, name: str) -> Path:
        """Save test-artifacts/screenshots/<name>-<desktop|phone>.png (the whole page)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{page.liandong_kind}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()
        # A request the pages sent last (a poll, a claim) may still be in the server thread: let
        # it finish before the database is emptied, or PostgreSQL's TRUNCATE and its row locks
        # deadlock (seen once in CI).
        time.sleep(SETTLE_SECONDS)


SETTLE_SECONDS = 0.5


@pytest.fixture
def site(browser: Any, live_server: Any, transactional_db: None, settings: Any) -> Iterator[Site]:
    """The app on the live server with the default data, and a browser to visit it."""
    # A fast password hash: each person logs in through the form (the server thread reads the
    # same settings object, so both sides use it); the product's hasher costs ~1 s per person.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    s = Site(url=live_server.url.rstrip("/"), browser=browser)
    try:
        yield s
    finally:
        s.close()
    assert not s.js_errors, "JavaScript errors on the pages:\n" + "\n".join(s.js_errors)


def local_input(moment: Any) -> str:
    """A moment as the value of <input type=datetime-local> in Beijing time."""
    from liandong import clock

    return clock.to_beijing(moment).strftime("%Y-%m-%dT%H:%M")


def has_class(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")

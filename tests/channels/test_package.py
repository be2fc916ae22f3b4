"""The package's shape: the interface other code relies on, no Django, small files, and the
shared helpers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from liandong.channels import Message, Result
from liandong.channels.base import clip, clip_utf8, redact

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "liandong" / "channels"


def test_message_and_result_keep_their_interface() -> None:
    assert [(f.name, f.default) for f in dataclasses.fields(Message)] == [
        ("title", dataclasses.MISSING),
        ("text", dataclasses.MISSING),
        ("markdown", ""),
        ("mentions", ()),
    ]
    assert [f.name for f in dataclasses.fields(Result)] == [
        "ok",
        "status",
        "permanent",
        "error",
        "duration_ms",
        "request_body",
    ]
    result = Result(ok=True, status=200, permanent=False, error="", duration_ms=3)
    assert result.request_body == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]


def test_the_package_imports_without_django() -> None:
    code = (
        "import sys, liandong.channels; "
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'django']; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_every_file_is_under_400_lines() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    tests = Path(__file__).parent
    sizes |= {f"tests/{p.name}": len(p.read_text().splitlines()) for p in tests.glob("*.py")}
    assert all(n <= 400 for n in sizes.values()), sizes


def test_clip_keeps_errors_short() -> None:
    assert clip("  短  ") == "短"
    long = clip("错" * 600)
    assert len(long) == 500 and long.endswith("…")


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5, 10, 2048])
def test_clip_utf8_never_cuts_inside_a_character(limit: int) -> None:
    text = "a警情b" * 400
    cut = clip_utf8(text, limit)
    assert len(cut.encode("utf-8")) <= limit
    assert text.startswith(cut.removesuffix("…"))


def test_clip_utf8_leaves_short_text_alone() -> None:
    assert clip_utf8("警情", 6) == "警情"


def test_redact_hides_the_longest_secret_first() -> None:
    assert redact("token=abc123 and abc", ["abc", "abc123", ""]) == "token=*** and ***"

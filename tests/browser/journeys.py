"""Steps shared by the journey tests (tests/browser/test_journey_*.py): what a unit user does on
the phone, and the messages the pages show."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import png_bytes

expect = pytest.importorskip("playwright.sync_api").expect

ADDRESS = "于洪区陵西街道怒江北街188号3单元"
LEAK = "报警人称楼道供热管线漏水，热水外流，楼下住户家中进水。"


def messages(page: Any) -> Any:
    return page.locator("ul.messages")


def open_from_workbench(page: Any, instruction: Any, address: str) -> None:
    """A unit user finds the instruction in the list on /unit/ and opens it."""
    page.goto("/unit/")
    expect(page.locator("h1")).to_contain_text(instruction.unit.name)
    page.locator(".work-list li a", has_text=address).first.tap()
    expect(page).to_have_url(re.compile(rf"/unit/instructions/{instruction.pk}/$"))
    expect(page.locator("h1")).to_have_text(address)


def sign(page: Any) -> None:
    page.locator("#sign-button").tap()
    expect(messages(page)).to_contain_text("已签收")
    expect(page.locator("#sign-button")).to_have_count(0)


def report_result(page: Any, text: str, photo: str | None = None) -> None:
    form = page.locator("form:has(#result-button)")
    form.locator("select[name=outcome]").select_option("resolved")
    form.locator("textarea[name=text]").fill(text)
    if photo:
        form.locator("input[name=photos]").set_input_files(
            {"name": photo, "mimeType": "image/png", "buffer": png_bytes()}
        )
    page.locator("#result-button").tap()
    expect(messages(page)).to_contain_text("已反馈处置结果，等待区联动办审核")
    expect(page.locator("main")).to_contain_text(f"处置结果：{text}")

"""The Content-Security-Policy in a real browser (issue 11, finding 7): the key screens, the admin,
the vendored ECharts and the API's Swagger UI work under it without one violation, and a script
injected into a page does not run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site
from tests.factories import dispatched

expect = pytest.importorskip("playwright.sync_api").expect


def watched(site: Site, user: Any = None) -> tuple[Any, list[str]]:
    """A page whose CSP violations (the browser's console reports each) are collected."""
    page = site.page("desktop")
    violations: list[str] = []
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None
        ),
    )
    if user is not None:
        site.login(page, user)
    return page, violations


def test_the_key_screens_run_under_the_policy_without_a_violation(site: Site) -> None:
    incident = dispatched(level=1)
    page, violations = watched(site, site.person("dispatcher"))
    page.goto("/console/")
    expect(page.locator("#intake")).to_be_visible()
    page.goto(f"/console/incidents/{incident.incident_id}/")
    expect(page.locator("h1").first).to_be_visible()
    page.goto("/console/stats/")
    page.goto("/no-such-page/")
    page.wait_for_timeout(300)

    leader, seen_by_leader = watched(site, site.person("leadership"))
    leader.goto("/overview/")
    expect(leader.locator('[data-chart="volume"] canvas')).to_have_count(1)  # ECharts runs
    leader.goto("/overview/?screen=1")
    expect(leader.locator('[data-chart="trend"] canvas')).to_have_count(1)
    leader.wait_for_timeout(500)

    assert not violations + seen_by_leader


def test_the_admin_and_the_api_docs_run_under_the_policy(site: Site) -> None:
    admin = site.person("admin", is_staff=True, is_superuser=True)
    page, violations = watched(site, admin)
    for path in ("/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/"):
        page.goto(path)
        expect(page.locator("#content")).to_be_visible()
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()  # Swagger UI runs
    page.wait_for_timeout(300)

    assert not violations


def test_an_injected_inline_script_does_not_run(site: Site) -> None:
    """What an injected <script> or onerror= would do: the browser refuses and says why."""
    page, violations = watched(site, site.person("dispatcher"))
    page.goto("/console/")
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__injected = 1";
            document.body.appendChild(s);
            const img = document.createElement("img");
            img.setAttribute("onerror", "window.__handler = 1");
            img.src = "/no-such-image.png";
            document.body.appendChild(img);
        }"""
    )
    page.wait_for_timeout(500)

    assert page.evaluate("() => window.__injected") is None
    assert page.evaluate("() => window.__handler") is None
    assert any("inline" in v for v in violations), violations

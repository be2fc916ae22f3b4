"""The matrix covers the whole site: every URL pattern Django knows has an entry (a web case, an
admin kind, an API operation of the isolation table, or a documented exclusion), and every entry
names a pattern that still exists. A new URL fails here until someone says who may use it.

The API's operations are not repeated here: tests/api/isolation/endpoints.py has one case per
operation, compared with the OpenAPI document by tests/api/isolation/test_case_table.py; the test
below checks that those cases also cover every /api/v1/ pattern the resolver knows.
"""

from __future__ import annotations

import re

from tests.api.isolation.endpoints import ENDPOINTS
from tests.security import admin_kinds
from tests.security.table import (
    ALLOWED,
    API_PAGES,
    EXCLUDED,
    PUBLIC,
    PUBLIC_REASONS,
    PUBLIC_WRITES,
    RULES,
    WEB,
    Pattern,
    expected,
    url_patterns,
)
from tests.security.world import IDENTITIES

API_PREFIX = "api/v1/"


def _api_path(route: str) -> str:
    """api/v1/incidents/<incident_id> → /incidents/{incident_id}, as ENDPOINTS spells it."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route[len(API_PREFIX) :])


def _classify() -> tuple[dict[str, str], list[str]]:
    """Each pattern's entry, and the patterns that have none."""
    found: dict[str, str] = {}
    missing: list[str] = []
    api_paths = {path for _, path in ENDPOINTS}
    for p in url_patterns():
        if p.namespace in EXCLUDED:
            found[p.key] = "excluded"
        elif p.namespace == "admin":
            kind = admin_kinds.kind_of(p)
            if kind is None:
                missing.append(f"{p.key} ({p.route})")
            found[p.key] = f"admin {kind}"
        elif p.namespace == "api-v1" and p.key not in API_PAGES:
            if _api_path(p.route) not in api_paths:
                missing.append(f"{p.key} ({p.route})")
            found[p.key] = "api operation"
        elif p.key in WEB or p.key in API_PAGES:
            found[p.key] = "web"
        else:
            missing.append(f"{p.key} ({p.route})")
    return found, missing


def test_given_every_url_pattern_of_the_site_then_each_has_an_entry_in_the_matrix():
    found, missing = _classify()

    assert not missing, f"URL patterns without a case in tests/security (who may?): {missing}"
    assert len(found) > 100, "the resolver walk found too few patterns"


def test_given_the_entries_of_the_matrix_then_each_names_a_pattern_that_exists():
    keys = {p.key for p in url_patterns()}
    names = {p.name for p in url_patterns() if p.namespace == "admin"}
    namespaces = {p.namespace for p in url_patterns()}

    assert not sorted(set(WEB) - keys), "cases for URLs that no longer exist"
    assert not sorted(set(API_PAGES) - keys), "cases for API pages that no longer exist"
    assert not sorted(set(PUBLIC_REASONS) - keys), "public reasons for URLs that no longer exist"
    assert not sorted(set(admin_kinds.CUSTOM) - names), "custom admin views that no longer exist"
    assert not sorted(set(EXCLUDED) - namespaces), "exclusions of namespaces that no longer exist"


def test_given_the_api_operations_of_the_isolation_table_then_each_is_a_pattern_of_the_resolver():
    """The other direction for the API: no case in ENDPOINTS names a path Django does not route."""
    routed = {
        _api_path(p.route)
        for p in url_patterns()
        if p.namespace == "api-v1" and p.key not in API_PAGES
    }

    assert not sorted({path for _, path in ENDPOINTS} - routed)


def test_given_the_web_entries_then_each_has_a_call_a_known_rule_and_public_ones_a_reason():
    for name, calls in [*WEB.items(), *((k, (c,)) for k, c in API_PAGES.items())]:
        assert calls, name
        for call in calls:
            assert call.rule in RULES, (name, call.rule)
            assert call.method in ("GET", "POST"), (name, call.method)
            if call.rule == PUBLIC:
                assert name in PUBLIC_REASONS, f"{name} is public: say why in PUBLIC_REASONS"
            if call.method == "POST":
                assert call.rule != PUBLIC or name in PUBLIC_WRITES, (name, "a public write?")
    public = {n for n, calls in WEB.items() if any(c.rule == PUBLIC for c in calls)}
    assert public | set(API_PAGES) == set(PUBLIC_REASONS)


def test_given_the_excluded_namespaces_then_each_says_why_and_where_it_is_tested():
    for namespace, reason in EXCLUDED.items():
        assert "tests/" in reason, namespace


def test_given_a_new_url_of_any_kind_without_a_case_then_the_completeness_check_names_it(
    monkeypatch,
):
    """The check above really fails on a new URL: a screen, a custom admin view, an API path."""
    import tests.security.test_table as this

    new = [
        Pattern("export-everything", "", "export-everything", "console/export-everything"),
        Pattern("admin:accounts_user_impersonate", "admin", "accounts_user_impersonate", "x/"),
        Pattern("api-v1:export", "api-v1", "export", "api/v1/export"),
    ]
    real = list(url_patterns())
    monkeypatch.setattr(this, "url_patterns", lambda: iter(real + new))

    _, missing = _classify()

    assert [m.split(" ")[0] for m in missing] == [p.key for p in new]


def test_given_each_rule_then_someone_is_allowed_and_someone_is_refused():
    """No rule is vacuous: each lets some identity in and keeps some out."""
    for rule in RULES:
        outcomes = {expected(rule, who) for who in IDENTITIES}
        assert ALLOWED in outcomes, rule
        assert outcomes - {ALLOWED} or rule == PUBLIC, rule

"""Every web URL × every identity (tests/security/table.py WEB, tests/security/world.py IDENTITIES).

For each call of each entry and each identity, the answer is what the entry's rule says:
- allowed: the page (or the action's usual answer, a redirect back to the page);
- signed out (anonymous, or an account that was switched off): the login page;
- a screen or an action that is not theirs: 403; a thing they may not see: 404, exactly as for a
  thing that does not exist;
- a refused request, GET or POST, changes nothing (tests/security/world.py snapshot);
- whatever the status, a page answered to a unit's person never contains another unit's text, nor
  anything of the incident that only unit A holds (its number, caller, phone, address, content);
- nothing answers 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tests.security.table import (
    ALLOWED,
    API_PAGES,
    FORBIDDEN,
    GHOST,
    HIDDEN,
    LOGIN,
    PUBLIC,
    WEB,
    Call,
    Targets,
    expected,
    targets,
)
from tests.security.world import (
    A_LEADER,
    A_OFFICER,
    ANONYMOUS,
    B_OFFICER,
    C_OFFICER,
    DISPATCHER,
    IDENTITIES,
    SECRET_ADDRESS,
    SECRET_CONTENT,
    SECRET_PHONE,
    Matrix,
    session,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("quick_pdf")

TEXT_TYPES = ("text/", "application/json", "application/javascript")

NOTIFICATION_500 = (
    "finding: GET /notifications/<pk>/open of a notification outside one's own bell answers 500, "
    "not 404: web/inbox.py open_notification is wrapped in @login_required, which does not turn "
    "the gate's NotFound (access.access_notification) into Http404 (login_required_for does)"
)
API_ROOT_500 = (
    "finding: GET /api/v1/ answers 500 server_error (and logs an 'unhandled error') to everyone: "
    "django-ninja's default_home raises Http404, and api/middleware.py "
    "ApiErrorBodyMiddleware.process_exception turns every exception under /api/, Http404 and "
    "PermissionDenied included, into a 500"
)

#: Known failures, (entry, call label, identity) → the finding. Each runs on its own, marked
#: xfail(strict=True), so that the fix makes the suite fail until the mark is removed here.
KNOWN: dict[tuple[str, str, str], str] = {}


def _calls() -> list[tuple[str, Call]]:
    return [*((n, c) for n, calls in WEB.items() for c in calls), *API_PAGES.items()]


def _id(name: str, call: Call) -> str:
    return f"{call.method} {name}" + (f"[{call.label}]" if call.label else "")


def send(client: Any, call: Call, t: Targets) -> Any:
    url = call.url(t)
    if call.method == "GET":
        return client.get(url, call.form)
    return client.post(url, call.form)


def text_of(response: Any) -> str:
    """The body, when it is text (a document or a spreadsheet is checked by its status)."""
    if not response.get("Content-Type", "").startswith(TEXT_TYPES):
        return ""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


def assert_sent_to_login(response: Any) -> None:
    assert response.status_code == 302, (response.status_code, text_of(response)[:300])
    assert response["Location"].startswith("/login/"), response["Location"]


def assert_answer(response: Any, outcome: str, call: Call) -> None:
    status = response.status_code
    where = (status, response.get("Location"), text_of(response)[:300])
    # a 5xx only where the table says it is an answer (/readyz: 503 while no worker runs)
    assert status < 500 or (outcome == ALLOWED and status in call.ok), where
    if outcome == ALLOWED:
        assert status in call.ok, where
        if status == 302 and call.rule != PUBLIC:
            assert not response["Location"].startswith("/login/"), where
    elif outcome == LOGIN:
        assert_sent_to_login(response)
    elif outcome == FORBIDDEN:
        assert status == 403, where
    else:
        assert outcome == HIDDEN
        assert status == 404, where


def check(m: Matrix, baseline: dict[str, Any], name: str, call: Call, who: str) -> None:
    """One identity, one call: the rule's answer, no other unit's text, nothing changed when
    refused. Run in a savepoint that is rolled back (an allowed action changes the world)."""
    outcome = expected(call.rule, who)
    with transaction.atomic():
        client = session(m, who)
        response = send(client, call, targets(m))

        text = text_of(response)
        leaked = [secret for secret in m.forbidden_text(who) if secret in text]
        assert not leaked, f"{who} reads another unit's text on {name}: {leaked}"
        assert_answer(response, outcome, call)
        if outcome == HIDDEN:
            ghost = send(client, call, GHOST)
            assert ghost.status_code == 404, "a hidden thing must look exactly like a missing one"
        if outcome != ALLOWED:
            assert snapshot() == baseline, f"a refused {call.method} on {name} changed something"
        transaction.set_rollback(True)


@pytest.mark.parametrize("name, call", [pytest.param(n, c, id=_id(n, c)) for n, c in _calls()])
def test_given_a_web_url_when_each_identity_calls_it_then_the_rule_holds_and_nothing_leaks(
    matrix, baseline, name, call
):
    failures = []
    for who in call.sample or IDENTITIES:
        if (name, call.label, who) in KNOWN:
            continue  # run on its own below
        try:
            check(matrix, baseline, name, call, who)
        except AssertionError as exc:
            failures.append(f"{who} ({expected(call.rule, who)}): {exc}")

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "name, call, who",
    [
        pytest.param(
            n,
            c,
            who,
            id=f"{_id(n, c)} {who}",
            marks=pytest.mark.xfail(strict=True, reason=KNOWN[(n, c.label, who)]),
        )
        for n, c in _calls()
        for who in c.sample or IDENTITIES
        if (n, c.label, who) in KNOWN
    ],
)
def test_given_a_known_finding_when_the_identity_calls_the_url_then_the_rule_holds(
    matrix, baseline, name, call, who
):
    check(matrix, baseline, name, call, who)


def test_given_the_known_findings_then_each_names_a_call_and_an_identity_of_the_matrix():
    calls = {(n, c.label) for n, c in _calls()}
    assert {(n, label) for n, label, _ in KNOWN} <= calls
    assert {who for _, _, who in KNOWN} <= set(IDENTITIES)


POST_ONLY = [name for name, calls in WEB.items() if all(c.method == "POST" for c in calls)]


@pytest.mark.parametrize("name", POST_ONLY)
def test_given_a_post_only_url_when_it_is_opened_with_get_then_405_or_refused_and_nothing_changes(
    matrix, baseline, name
):
    """A link or a prefetch never acts: GET on an action answers 405 to those who may act (and
    the gate's own answer to those who may not), and changes nothing."""
    call = WEB[name][0]
    allowed = next(who for who in IDENTITIES if expected(call.rule, who) == ALLOWED)
    url = call.url(targets(matrix))

    as_allowed = session(matrix, allowed).get(url)
    as_anonymous = session(matrix, ANONYMOUS).get(url)

    assert as_allowed.status_code == 405, (allowed, as_allowed.status_code)
    if call.rule == PUBLIC:
        assert as_anonymous.status_code == 405
    else:
        assert_sent_to_login(as_anonymous)
    assert snapshot() == baseline


def test_given_the_text_only_one_unit_may_read_when_that_unit_opens_its_pages_then_it_is_there(
    matrix,
):
    """Control for the leak check above: the text it looks for is really on the pages of those
    who may read it (so its absence elsewhere means something)."""
    w, secret = matrix.world, matrix.secret
    masked = SECRET_PHONE[:3] + "****" + SECRET_PHONE[-4:]
    shown = {
        (A_OFFICER, "/unit/"): [SECRET_ADDRESS, SECRET_CONTENT[:8]],
        (A_OFFICER, f"/unit/instructions/{matrix.secret_inst.pk}/"): [SECRET_ADDRESS, masked],
        (A_OFFICER, f"/unit/instructions/{w.a_inst.pk}/"): ["需要更换阀门", "现场.png"],
        (A_LEADER, "/unit/approvals/"): ["需要更换阀门"],
        (A_LEADER, f"/unit/supervision/{w.order.pk}/"): ["立即处置并书面说明", "已整改"],
        (B_OFFICER, f"/unit/instructions/{w.b_inst.pk}/"): ["协同单位已到场"],
        (C_OFFICER, f"/unit/instructions/{w.c_inst.pk}/"): ["污水.png"],
        (DISPATCHER, f"/console/incidents/{secret.incident_id}/"): [SECRET_ADDRESS, masked],
        (DISPATCHER, "/console/incidents/"): [secret.incident_id, SECRET_ADDRESS],
    }
    missing = {}
    for (who, url), texts in shown.items():
        response = session(matrix, who).get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        absent = [t for t in texts if t not in text_of(response)]
        if absent:
            missing[(who, url)] = absent

    assert not missing, f"the leak check looks for text these pages do not show: {missing}"

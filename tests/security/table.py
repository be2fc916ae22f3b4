"""One entry per URL pattern of the site: how to call it with the world's ids, and who may.

Every pattern `django.urls.get_resolver()` knows (walked recursively, see `url_patterns`) is
classified here, and tests/security/test_table.py fails when a pattern has no entry or an entry
names a pattern that no longer exists:

- WEB: the screens (src/liandong/urls.py and src/liandong/web/urls.py), each with its calls and
  the rule that says who may (RULES below); PUBLIC ones carry the reason why (PUBLIC_REASONS);
- the admin under /admin/: one rule per kind of admin URL (tests/security/admin_kinds.py);
- API_V1: the operations of /api/v1/ are the API isolation table's (tests/api/isolation/
  endpoints.py ENDPOINTS, compared with the OpenAPI document by tests/api/isolation/
  test_case_table.py); the API's own pages (schema, docs, root) are listed here;
- EXCLUDED: the city interface /api/city/v1/, which authenticates a signed request of the city's
  platform and no person at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.world import (
    ANONYMOUS,
    C_OFFICER,
    INACTIVE,
    LEADERS,
    OFFICE,
    READS_EVERYTHING,
    SEES_NO_INCIDENT,
    SUPERVISOR,
    UNIT_OF,
    UNIT_USERS,
    A,
    B,
    Matrix,
)

# --- who may ------------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not (the reason is in PUBLIC_REASONS)
SIGNED_IN = "signed_in"  # anyone signed in, on their own things (their bell)
OFFICE_READ = "office_read"  # office screens: dispatchers, supervisors, leadership, administrators
OFFICE_ACT = "office_act"  # office actions: dispatchers and supervisors only
SUPERVISOR_ACT = "supervisor_act"  # 督办: the office's supervisors only
UNIT_READ = "unit_read"  # the unit screens: any unit's people, each on their own unit's work
UNIT_HOLDER = "unit_holder"  # unit A's instruction: unit A's people; other units as if missing
LEADER_READ = "leader_read"  # a unit leader's screens: any unit's leader, on their own unit's
LEADER_HOLDER = "leader_holder"  # unit A's request or order: unit A's leader only
OWN_BELL = "own_bell"  # a notification in unit A's bell: unit A's people only
CALLER = "caller"  # the caller's full number on the shared incident: the office and the people of
# the unit holding its primary instruction (A); the cooperating unit B sees the incident (403),
# C does not (404); district leadership and administrators read incidents, not callers (403)

RULES = (
    PUBLIC,
    SIGNED_IN,
    OFFICE_READ,
    OFFICE_ACT,
    SUPERVISOR_ACT,
    UNIT_READ,
    UNIT_HOLDER,
    LEADER_READ,
    LEADER_HOLDER,
    OWN_BELL,
    CALLER,
)

# what an identity gets
ALLOWED = "allowed"  # the page or the action (the state machine may still say no)
LOGIN = "login"  # signed out: sent to the login page
FORBIDDEN = "forbidden"  # 403: may see that it exists but not do this (or not use this screen)
HIDDEN = "hidden"  # 404: exactly as if it did not exist


def expected(rule: str, who: str) -> str:
    if rule == PUBLIC:
        return ALLOWED
    if who in (ANONYMOUS, INACTIVE):
        return LOGIN
    unit = UNIT_OF.get(who)
    if rule == SIGNED_IN:
        return ALLOWED
    if rule == OFFICE_READ:
        return ALLOWED if who in READS_EVERYTHING else FORBIDDEN
    if rule == OFFICE_ACT:
        return ALLOWED if who in OFFICE else FORBIDDEN
    if rule == SUPERVISOR_ACT:
        return ALLOWED if who == SUPERVISOR else FORBIDDEN
    if rule == UNIT_READ:
        return ALLOWED if who in UNIT_USERS else FORBIDDEN
    if rule == UNIT_HOLDER:
        return FORBIDDEN if unit is None else ALLOWED if unit == A else HIDDEN
    if rule == LEADER_READ:
        return ALLOWED if who in LEADERS else FORBIDDEN
    if rule == LEADER_HOLDER:
        return FORBIDDEN if who not in LEADERS else ALLOWED if unit == A else HIDDEN
    if rule == OWN_BELL:
        return ALLOWED if unit == A else HIDDEN
    if rule == CALLER:
        if who in OFFICE or unit == A:
            return ALLOWED
        if who in SEES_NO_INCIDENT:
            return HIDDEN
        return HIDDEN if unit not in (None, B) else FORBIDDEN
    raise AssertionError(f"unknown rule {rule}")


# --- what a URL names ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The ids a web URL names: the world's (unit A's things), or things that do not exist."""

    incident: str  # the shared incident: A primary, B cooperating
    instruction: int  # unit A's instruction in it
    order: int  # the supervision order to unit A
    return_request: int
    join_request: int
    extension_request: int  # waits for unit A's leader
    notification: int  # in unit A's bell
    bulletin: int
    report: int


GHOST = Targets("GHOST-000000", *(987_654_320 + n for n in range(8)))


def targets(m: Matrix) -> Targets:
    w = m.world
    return Targets(
        incident=w.incident.incident_id,
        instruction=w.a_inst.pk,
        order=w.order.pk,
        return_request=w.ret.pk,
        join_request=w.join.pk,
        extension_request=w.extension.pk,
        notification=m.notification.pk,
        bulletin=m.bulletin.pk,
        report=m.report.pk if m.report else GHOST.report,
    )


@dataclass(frozen=True)
class Call:
    method: str
    url: Callable[[Targets], str]
    rule: str
    form: dict[str, Any] = field(default_factory=dict)  # a POST's form, or a GET's query
    ok: tuple[int, ...] = (200,)  # what an allowed identity is answered
    label: str = ""
    sample: tuple[str, ...] = ()  # a costly public call: asked by these identities only


def get(url: str, rule: str, ok: tuple[int, ...] = (200,), label: str = "", **query: Any) -> Call:
    return Call("GET", lambda t: url.format(t=t), rule, query, ok, label)


def post(url: str, rule: str, ok: tuple[int, ...] = (302,), label: str = "", **form: Any) -> Call:
    return Call("POST", lambda t: url.format(t=t), rule, form, ok, label)


INC = "/console/incidents/{t.incident}/"
INST = "/console/instructions/{t.instruction}/"
UNIT_INST = "/unit/instructions/{t.instruction}/"
DUE = "2099-12-31T17:00"

INCIDENT_ACTIONS: dict[str, dict[str, Any]] = {
    "dispatch": {
        "category": "heating-leak",
        "level": "2",
        "incident_class": "linked_disposal",
        "primary_unit": A,
    },
    "return-to-city": {"reason": "非本区事项"},
    "merge": {"into": "GHOST-000001"},
    "add-units": {"units": "city-mgmt", "reason": "需要城管"},
    "close": {"outcome": "已处置完毕"},
    "callback": {"satisfaction": "satisfied", "note": "满意"},
    "withdraw": {"reason": "报警人取消"},
}
INSTRUCTION_ACTIONS: dict[str, dict[str, Any]] = {
    "urge": {"note": "请加快"},
    "reassign": {"unit": "city-mgmt", "reason": "职责不符"},
    "stand-down": {"reason": "无需该单位参与"},
    "accept": {"note": ""},
    "send-back": {"reason": "结果不完整"},
}
UNIT_ACTIONS: dict[str, dict[str, Any]] = {
    "sign": {},
    "contact": {"reached": "yes", "note": "已联系"},
    "feedback": {"text": "已到场"},
    "result": {"outcome": "resolved", "text": "已修复"},
    "return": {"reason": "另有职责单位"},
    "join": {"units": "city-mgmt", "reason": "需要城管"},
    "extension": {"progress": "进行中", "reason": "需要时间", "proposed_due_at": DUE},
}
DECISIONS = {
    "return": ("return_request", {"decision": "insist", "note": "维持原派发"}),
    "join": ("join_request", {"decision": "approve", "units": "city-mgmt"}),
    "extension": ("extension_request", {"decision": "grant", "due_at": DUE}),
}
BULLETIN_ACTIONS = {"edit": {"narrative": "请各单位加强值守"}, "refresh": {}, "publish": {}}


def _each(make: Callable[[str, dict[str, Any]], Call], table: dict[str, Any]) -> tuple[Call, ...]:
    return tuple(make(name, form) for name, form in table.items())


def _decide(kind: str, ids: str, form: dict[str, Any]) -> Call:
    return Call(
        "POST",
        lambda t: f"/console/decisions/{kind}/{getattr(t, ids)}",
        OFFICE_ACT,
        form,
        (302,),
        kind,
    )


WEB: dict[str, tuple[Call, ...]] = {
    # public and personal
    "healthz": (get("/healthz", PUBLIC),),
    # 503 when no worker has written a heartbeat (none runs in the matrix)
    "readyz": (get("/readyz", PUBLIC, ok=(200, 503)),),
    "metrics": (get("/metrics", PUBLIC),),
    "favicon": (get("/favicon.ico", PUBLIC, ok=(301,)),),
    "login": (get("/login/", PUBLIC),),
    # the second step of signing in: without a half-way sign-in in the session, back to /login/
    "login-second-factor": (
        get("/login/code", PUBLIC, ok=(302,)),
        post("/login/code", PUBLIC, label="code", code="123456"),
    ),
    "logout": (post("/logout/", PUBLIC),),
    "help": (get("/help/", PUBLIC),),
    "account-security": (
        get("/account/security", SIGNED_IN),
        post("/account/security", SIGNED_IN, label="code", ok=(422,), code="000000"),
    ),
    "home": (get("/", SIGNED_IN, ok=(200, 302)),),
    "notifications": (
        get("/notifications/", SIGNED_IN),
        get("/notifications/", SIGNED_IN, label="unread", show="unread"),
    ),
    "notification-open": (get("/notifications/{t.notification}/open", OWN_BELL, ok=(302,)),),
    "notifications-read-all": (post("/notifications/read-all", SIGNED_IN),),
    "live": (get("/live", SIGNED_IN, since="0"),),
    # the office console
    "console": (get("/console/", OFFICE_READ),),
    "console-live": (get("/console/live", OFFICE_READ),),
    "console-board": (get("/console/board", OFFICE_READ),),
    "incident-list": (
        get("/console/incidents/", OFFICE_READ),
        get("/console/incidents/", OFFICE_READ, label="xlsx", format="xlsx"),
        get("/console/incidents/", OFFICE_READ, label="phone", phone="13800000000"),
    ),
    "new-incident": (
        get("/console/incidents/new", OFFICE_READ),
        post(
            "/console/incidents/new",
            OFFICE_ACT,
            caller_phone="13800000001",
            address="于洪区北陵街道",
            content="路灯不亮",
        ),
    ),
    "incident": (get(INC, OFFICE_READ),),
    "claim-incident": (post(INC + "claim", OFFICE_ACT, ok=(200, 409)),),
    # the caller's full name and number, recorded as a reveal
    "reveal-phone": (post(INC + "reveal-phone", CALLER, ok=(200,)),),
    "incident-action": _each(
        lambda a, form: post(INC + a, OFFICE_ACT, label=a, **form), INCIDENT_ACTIONS
    ),
    "instruction-action": _each(
        lambda a, form: post(INST + a, OFFICE_ACT, label=a, **form), INSTRUCTION_ACTIONS
    ),
    "decisions": (
        get("/console/decisions/", OFFICE_READ),
        get("/console/decisions/", OFFICE_READ, label="xlsx", format="xlsx"),
    ),
    "decide": tuple(_decide(kind, ids, form) for kind, (ids, form) in DECISIONS.items()),
    "city-reports": (
        get("/console/city-reports/", OFFICE_READ),
        get("/console/city-reports/", OFFICE_READ, label="xlsx", format="xlsx"),
    ),
    "resend-report": (post("/console/city-reports/{t.report}/resend", OFFICE_ACT),),
    "stats": (get("/console/stats/", OFFICE_READ, by="unit"),),
    "overview": (
        get("/overview/", OFFICE_READ),
        get("/overview/", OFFICE_READ, label="screen", screen="1"),
    ),
    "bulletins": (get("/console/bulletins/", OFFICE_READ),),
    "bulletin": (get("/console/bulletins/{t.bulletin}/", OFFICE_READ),),
    "bulletin-document": tuple(
        get("/console/bulletins/{t.bulletin}/document." + kind, OFFICE_READ, label=kind)
        for kind in ("docx", "pdf", "xlsx")
    ),
    "bulletin-action": _each(
        lambda a, form: post("/console/bulletins/{t.bulletin}/" + a, OFFICE_ACT, label=a, **form),
        BULLETIN_ACTIONS,
    ),
    # 督办: the office's side and the unit leader's side
    "supervision": (get("/console/supervision/", OFFICE_READ),),
    "supervision-new": (
        get("/console/supervision/new", SUPERVISOR_ACT),
        post(
            "/console/supervision/new",
            SUPERVISOR_ACT,
            unit=A,
            problems="签收超时",
            measures="立即处置",
            contact="李督办",
        ),
    ),
    "supervision-order": (get("/console/supervision/{t.order}/", OFFICE_READ),),
    "supervision-decide": (
        post("/console/supervision/{t.order}/decide", SUPERVISOR_ACT, decision="accept"),
    ),
    "supervision-document": tuple(
        get("/console/supervision/{t.order}/document." + kind, OFFICE_READ, label=kind)
        for kind in ("docx", "pdf")
    ),
    "unit-supervision": (get("/unit/supervision/", LEADER_READ),),
    "unit-supervision-order": (get("/unit/supervision/{t.order}/", LEADER_HOLDER),),
    "unit-supervision-answer": (
        post("/unit/supervision/{t.order}/answer", LEADER_HOLDER, text="已按要求整改"),
    ),
    "unit-supervision-document": tuple(
        get("/unit/supervision/{t.order}/document." + kind, LEADER_HOLDER, label=kind)
        for kind in ("docx", "pdf")
    ),
    # the unit workbench
    "unit-workbench": (
        get("/unit/", UNIT_READ),
        get("/unit/", UNIT_READ, label="all", show="all"),
    ),
    "unit-rows": (get("/unit/rows", UNIT_READ, show="all"),),
    "unit-instruction": (get(UNIT_INST, UNIT_HOLDER),),
    "unit-action": _each(
        lambda a, form: post(UNIT_INST + a, UNIT_HOLDER, label=a, **form), UNIT_ACTIONS
    ),
    "unit-approvals": (get("/unit/approvals/", LEADER_READ),),
    "unit-approve": (
        post("/unit/approvals/{t.extension_request}", LEADER_HOLDER, decision="approve"),
    ),
}

PUBLIC_REASONS = {
    "healthz": "the load balancer's liveness probe; answers only {'status': 'ok'}",
    "readyz": "the load balancer's readiness probe; answers only which checks failed and why",
    "metrics": "counts for the operator's Prometheus (no incident's text); only the scraper's address or token",
    "favicon": "a redirect to the static icon",
    "login": "the sign-in form",
    "login-second-factor": "the sign-in's second step; holds only who is half-way signed in",
    "logout": "ends the caller's own session, whoever they are",
    "help": "the rules of the clocks, for everyone, also before signing in",
    "api-v1:openapi-json": "the API's description (paths and schemas, no data)",
    "api-v1:openapi-view": "the API's documentation page, rendered from the description",
    "api-v1:api-root": "the API's root (no data)",
}

#: The API's own pages: public, no data (the operations are tests/api/isolation's).
API_PAGES: dict[str, Call] = {
    # generating the description takes most of a second: asked by two identities
    "api-v1:openapi-json": Call(
        "GET", lambda t: "/api/v1/openapi.json", PUBLIC, sample=(ANONYMOUS, C_OFFICER)
    ),
    "api-v1:openapi-view": get("/api/v1/docs", PUBLIC),
    "api-v1:api-root": get("/api/v1/", PUBLIC, ok=(302, 404)),  # nothing there, or the docs
}

#: The only public writes: signing out, and the code of a half-way sign-in.
PUBLIC_WRITES = {"logout", "login-second-factor"}

#: Namespaces covered elsewhere, with the reason.
EXCLUDED = {
    "city-v1": (
        "the city's platform calling the district (/api/city/v1/): no person signs in, each "
        "request is authenticated by the peer's HMAC signature, timestamp and key; covered by "
        "tests/citylink/inbound/test_authentication.py (every endpoint, every credential fault)"
    ),
}


# --- the resolver -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or "namespace:@route" for a pattern without a name
    namespace: str
    name: str | None
    route: str  # the whole route from the site's root, as the resolver spells it


def url_patterns() -> Iterator[Pattern]:
    """Every URL pattern of the site, walked recursively through every include."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Pattern]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n)
                yield from walk(entry, prefix + str(entry.pattern), inner)
            else:
                assert isinstance(entry, URLPattern)
                route = prefix + str(entry.pattern)
                name = entry.name
                key = f"{namespace}:{name or '@' + route}" if namespace else (name or "@" + route)
                yield Pattern(key, namespace, name, route)

    yield from walk(get_resolver(), "", "")


def web_calls() -> list[tuple[str, Call]]:
    return [(name, call) for name, calls in WEB.items() for call in calls]

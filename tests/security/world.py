"""The security matrix's world: the API isolation world (tests/api/isolation/world.py) plus what the
web screens name besides it, the identities that knock on every URL, and the text that only one
unit may ever read.

Added to the isolation world:
- a "secret" incident sent to unit A only, with a caller, a phone number, an address and a content
  that appear nowhere else: no page of any other unit may ever contain any of them;
- a monthly bulletin (the bulletin pages need one) and a notification in unit A's bell.

Units (as in the isolation world): A (housing) holds the primary instruction of the shared
incident and all of the secret one; B (urban-constr) cooperates on the shared incident, so it sees
that incident but not A's instruction, A's requests or A's photo; C (ecology) holds only the other
incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.test import Client

from liandong.accounts.models import ApiToken, Role, User
from liandong.assessment.actions import do_draft_bulletin
from liandong.assessment.models import Bulletin
from liandong.citylink.models import CityPeer, CityReport
from liandong.incidents import actions
from liandong.incidents.models import (
    Event,
    Incident,
    Instruction,
    Notification,
    NotificationAudience,
    NotificationRead,
)
from liandong.units.models import Category, Unit
from tests.api.isolation.world import A, B, C, World, build_world
from tests.api.isolation.world import fingerprint as api_fingerprint
from tests.factories import UserFactory, unit

# --- who knocks ---------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
INACTIVE = "inactive"  # a dispatcher whose account was switched off: treated as anonymous
DISPATCHER = "dispatcher"
SUPERVISOR = "supervisor"
LEADERSHIP = "leadership"
ADMIN = "admin"  # the system administrator, staff (and a superuser flag, which grants nothing)
SECURITY_ADMIN = "security_admin"  # 安全管理员: roles, passwords, tokens; reads no incident
AUDITOR = "auditor"  # 安全审计员: reads the audit trail; reads no incident
A_OFFICER = "a_officer"
A_LEADER = "a_leader"
B_OFFICER = "b_officer"
B_LEADER = "b_leader"
C_OFFICER = "c_officer"

IDENTITIES = (
    ANONYMOUS,
    INACTIVE,
    DISPATCHER,
    SUPERVISOR,
    LEADERSHIP,
    ADMIN,
    SECURITY_ADMIN,
    AUDITOR,
    A_OFFICER,
    A_LEADER,
    B_OFFICER,
    B_LEADER,
    C_OFFICER,
)
SIGNED_OUT = frozenset({ANONYMOUS, INACTIVE})
OFFICE = frozenset({DISPATCHER, SUPERVISOR})
READS_EVERYTHING = OFFICE | {LEADERSHIP, ADMIN}
#: The administrators of security and audit see no incident at all: one named is as if missing.
SEES_NO_INCIDENT = frozenset({SECURITY_ADMIN, AUDITOR})
ADMINISTRATORS = frozenset({ADMIN, SECURITY_ADMIN, AUDITOR})
UNIT_USERS = frozenset({A_OFFICER, A_LEADER, B_OFFICER, B_LEADER, C_OFFICER})
LEADERS = frozenset({A_LEADER, B_LEADER})
UNIT_OF = {A_OFFICER: A, A_LEADER: A, B_OFFICER: B, B_LEADER: B, C_OFFICER: C}


def _people() -> dict[str, User | None]:
    def member(code: str, role: str) -> User:
        return UserFactory(role=role, unit=unit(code))

    return {
        ANONYMOUS: None,
        INACTIVE: UserFactory(role=Role.DISPATCHER, is_active=False),
        DISPATCHER: UserFactory(role=Role.DISPATCHER),
        SUPERVISOR: UserFactory(role=Role.SUPERVISOR),
        LEADERSHIP: UserFactory(role=Role.LEADERSHIP),
        ADMIN: UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        SECURITY_ADMIN: UserFactory(role=Role.SECURITY_ADMIN, is_staff=True),
        AUDITOR: UserFactory(role=Role.AUDITOR, is_staff=True),
        A_OFFICER: member(A, Role.DUTY_OFFICER),
        A_LEADER: member(A, Role.UNIT_LEADER),
        B_OFFICER: member(B, Role.DUTY_OFFICER),
        B_LEADER: member(B, Role.UNIT_LEADER),
        C_OFFICER: member(C, Role.DUTY_OFFICER),
    }


# --- what only one unit may read ------------------------------------------------------------------

SECRET_CALLER = "欧阳保密"
SECRET_PHONE = "13977770123"
SECRET_ADDRESS = "于洪区机密巷甲17号"
SECRET_CONTENT = "地下车库积水没过车轮，仅住建局知悉"

#: Text each unit's own work put into the world (see build_world in the isolation world): a page
#: answered to a user of any other unit must contain none of it.
UNIT_ONLY_TEXT = {
    A: ("需要更换阀门", "已排查管线", "需要城管配合", "现场.png", "立即处置并书面说明", "已整改"),
    B: ("协同单位已到场",),
    C: ("污水.png",),
}


@dataclass
class Matrix:
    """The isolation world and what the web matrix adds to it."""

    world: World
    secret: Incident
    secret_inst: Instruction
    bulletin: Bulletin
    notification: Notification  # in unit A's bell (for everyone of A)
    report: CityReport | None
    people: dict[str, User | None]
    sessions: dict[str, str]  # identity → session key, signed in once when the world is built

    def forbidden_text(self, identity: str) -> tuple[str, ...]:
        """What `identity` must never read: every other unit's own text, and the secret
        incident's for everyone outside unit A who does not read everything."""
        if identity in READS_EVERYTHING:
            return ()
        own = UNIT_OF.get(identity)
        found = [text for code, texts in UNIT_ONLY_TEXT.items() if code != own for text in texts]
        if own != A:
            found += [
                self.secret.incident_id,
                SECRET_CALLER,
                SECRET_PHONE,
                SECRET_PHONE[:3] + "****" + SECRET_PHONE[-4:],  # as the pages mask it
                SECRET_ADDRESS,
                SECRET_CONTENT[:8],
            ]
        return tuple(found)


def _sign_in(people: dict[str, User | None]) -> dict[str, str]:
    """One session per identity, made once (force_login is a good part of a request's cost)."""
    sessions = {}
    for who, user in people.items():
        if user is not None:
            client = Client()
            client.force_login(user)
            sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def build_matrix() -> Matrix:
    world = build_world()
    secret = actions.do_create_manual_incident(
        actor=world.dispatcher,
        caller_phone=SECRET_PHONE,
        caller_name=SECRET_CALLER,
        address=SECRET_ADDRESS,
        content=SECRET_CONTENT,
    )
    actions.do_dispatch_incident(
        actor=world.dispatcher,
        incident=secret,
        incident_class="linked_disposal",
        level=2,
        category=Category.objects.get(code="heating-leak"),
        primary_unit=unit(A),
        cooperating_units=[],
    )
    secret.refresh_from_db()
    notification = (
        Notification.objects.filter(unit__code=A, audience=NotificationAudience.ALL)
        .exclude(incident=None)
        .order_by("pk")
        .first()
    )
    assert notification is not None, "dispatching tells unit A"
    people = _people()
    return Matrix(
        world=world,
        secret=secret,
        secret_inst=secret.instructions.get(),
        bulletin=do_draft_bulletin(month=date(2025, 1, 1), actor=world.dispatcher),
        notification=notification,
        report=CityReport.objects.order_by("pk").first(),
        people=people,
        sessions=_sign_in(people),
    )


def session(m: Matrix, who: str) -> Client:
    """A fresh client (no cookies left by an earlier request) in `who`'s session."""
    client = Client(raise_request_exception=False)
    if who in m.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = m.sessions[who]
    return client


def snapshot() -> dict[str, Any]:
    """Everything a refused request could have changed: the isolation world's fingerprint, every
    event, the read marks, the reports, the bulletins, people, tokens and reference data."""
    return {
        "world": api_fingerprint(),
        "events": list(Event.objects.order_by("pk").values_list("pk", "kind")),
        "reads": NotificationRead.objects.count(),
        "reports": sorted(CityReport.objects.values_list("pk", "state", "attempts")),
        "bulletins": sorted(Bulletin.objects.values_list("pk", "state", "narrative")),
        "people": sorted(
            User.objects.values_list("pk", "role", "unit_id", "is_active", "is_staff", "password")
        ),
        "tokens": sorted(ApiToken.objects.values_list("pk", "user_id", "revoked_at")),
        "units": sorted(Unit.objects.values_list("pk", "code", "active", "tier")),
        "peers": CityPeer.objects.count(),
    }

"""Who a notification reaches outside the product, written as deliveries in the notification's
own transaction (the notification hook): so a committed notification always has its deliveries,
and a rolled-back one none.

- for everyone of a linkage unit: the people on duty at this moment (the roster, or the tier's
  fixed contacts), by SMS and, if they set it, email; and the unit's group robots;
- for a unit's leaders: its leaders (contacts and leader accounts);
- for the office: the office's group robots; for its supervisors: each supervisor's phone/email.

Kinds whose template is not marked for outside sending stay in the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from django.db.models.signals import post_migrate

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.common import secretbox
from liandong.common.kept import Kept
from liandong.incidents.models import Notification, NotificationAudience
from liandong.notifications.models import (
    Channel,
    Delivery,
    GroupRobot,
    MessageTemplate,
    PersonChannel,
    RobotKind,
    SmsGateway,
    SmtpServer,
)
from liandong.rosters.selectors import leaders_of, on_duty
from liandong.units.models import UnitKind


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    user_id: int | None


def render(template: MessageTemplate, notification: Notification) -> tuple[str, str, str]:
    """(title, text, markdown) of a notification in the template's wording."""
    incident = notification.incident
    values = {
        "title": notification.title or template.label,
        "text": notification.text,
        "unit": notification.unit.name,
        "incident_id": incident.incident_id if incident else "",
        "address": incident.address if incident else "",
        "time": clock.to_beijing(notification.created_at).strftime("%m-%d %H:%M"),
    }
    title = Template(template.title).safe_substitute(values)
    text = Template(template.text).safe_substitute(values)
    markdown = Template(template.markdown).safe_substitute(values) if template.markdown else ""
    return title[:100], text, markdown


def people(notification: Notification) -> list[Person]:
    unit = notification.unit
    if notification.audience == NotificationAudience.LEADERS:
        return [Person(c.name, c.phone, c.user_id) for c in leaders_of(unit)]
    if notification.audience == NotificationAudience.SUPERVISORS:
        supervisors = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk")
        return [Person(u.display_name, u.phone, u.pk) for u in supervisors]
    if unit.kind == UnitKind.OFFICE:
        return []  # the office watches its console; its group robots carry the rest
    return [Person(c.name, c.phone, c.user_id) for c in on_duty(unit, notification.created_at)]


Target = tuple[str, str, str, GroupRobot | None]  # channel, recipient, address, robot


def targets_of(
    note: Notification,
    *,
    has_sms: bool,
    has_mail: bool,
    robots: list[GroupRobot],
    persons: list[Person],
) -> list[Target]:
    """Every (channel, recipient) this notification goes to, each once."""
    found: dict[tuple[str, str], Target] = {}
    if note.audience == NotificationAudience.ALL:
        for robot in robots:
            channel = Channel.WECOM if robot.kind == RobotKind.WECOM else Channel.DINGTALK
            found[(channel, f"robot-{robot.pk}")] = (
                channel,
                f"{note.unit.name}·{robot.name}",
                "",
                robot,
            )
    if not (has_sms or has_mail):
        return list(found.values())
    prefs = {
        p.user_id: p
        for p in PersonChannel.objects.filter(user_id__in=[t.user_id for t in persons if t.user_id])
    }
    for person in persons:
        pref = prefs.get(person.user_id) if person.user_id else None
        if has_sms and person.phone and (pref is None or pref.sms_enabled):
            found.setdefault(
                (Channel.SMS, person.phone), (Channel.SMS, person.name, person.phone, None)
            )
        if has_mail and pref is not None and pref.email_enabled and pref.email:
            found.setdefault(
                (Channel.EMAIL, pref.email), (Channel.EMAIL, person.name, pref.email, None)
            )
    return list(found.values())


#: The templates marked for outside sending, read at most every 10 s per process (every
#: notification asks); a template saved or deleted in this process empties it at once.
_templates = Kept(
    lambda: {t.kind: t for t in MessageTemplate.objects.filter(external=True)}, seconds=10.0
)
_templates.forget_on_writes(MessageTemplate)
post_migrate.connect(_templates.forget, dispatch_uid="templates-migrated")  # also after a flush


def external_templates() -> dict[str, MessageTemplate]:
    return _templates.get()


#: Which channels are set up (an SMS gateway, a mail server, any group robot), read at most every
#: 10 s per process (every notification asks); a change saved in this process counts at once.
_channels = Kept(
    lambda: (
        SmsGateway.objects.filter(active=True).exists(),
        SmtpServer.objects.filter(active=True).exists(),
        GroupRobot.objects.filter(active=True).exists(),
    ),
    seconds=10.0,
)
_channels.forget_on_writes(SmsGateway, SmtpServer, GroupRobot)


def write_deliveries(notifications: list[Notification]) -> None:
    """The notification hook: one delivery per channel and recipient, deduplicated."""
    kinds = {n.kind for n in notifications}
    templates = {k: t for k, t in external_templates().items() if k in kinds}
    if not templates:
        return
    has_sms, has_mail, has_robot = _channels.get()
    if not (has_sms or has_mail or has_robot):
        return  # no channel is set up: the notifications stay in the product
    robots_of: dict[int, list[GroupRobot]] = {}
    people_of: dict[tuple[int, str], list[Person]] = {}
    rows: list[Delivery] = []
    now = clock.now()
    for note in notifications:
        template = templates.get(note.kind)
        if template is None:
            continue
        if note.unit_id not in robots_of:
            robots_of[note.unit_id] = list(
                GroupRobot.objects.filter(unit_id=note.unit_id, active=True).order_by("pk")
            )
        key = (note.unit_id, note.audience)
        if key not in people_of and (has_sms or has_mail):
            people_of[key] = people(note)  # the same people for the same unit at this moment
        title, text, markdown = render(template, note)
        for channel, recipient, address, robot in targets_of(
            note,
            has_sms=has_sms,
            has_mail=has_mail,
            robots=robots_of[note.unit_id],
            persons=people_of.get(key, []),
        ):
            rows.append(
                Delivery(
                    notification=note,
                    channel=channel,
                    recipient=recipient[:100],
                    address=address,
                    robot=robot,
                    title=title,
                    text=text,
                    markdown=markdown,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows)


def robot_url(robot: GroupRobot) -> str:
    return secretbox.decrypt(robot.url_encrypted) or ""

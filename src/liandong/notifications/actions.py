"""Writes of the notification channels: storing settings with their secrets encrypted, an
administrator's resend of a parked delivery (through the outbox table, with an event), and the
shipped message templates put back where missing."""

from __future__ import annotations

import json

from django.db import transaction

from liandong.accounts.models import User
from liandong.common import secretbox
from liandong.common.errors import IllegalTransition
from liandong.incidents.actions.kernel import append_event
from liandong.incidents.actions.locks import lock_incident
from liandong.incidents.events import EventKind
from liandong.notifications.defaults import DEFAULT_TEMPLATES
from liandong.notifications.delivery import NOTIFY_QUEUE
from liandong.notifications.models import (
    Delivery,
    GroupRobot,
    MessageTemplate,
    SmsGateway,
    SmtpServer,
)
from liandong.outbox import engine
from liandong.outbox.lifecycle import OUTBOX


def seal(secret: str) -> str:
    return secretbox.encrypt(secret) if secret else ""


@transaction.atomic
def do_set_sms_headers(*, gateway: SmsGateway, headers: dict[str, str]) -> None:
    gateway.headers_encrypted = seal(json.dumps(headers, ensure_ascii=False)) if headers else ""
    gateway.save(update_fields=["headers_encrypted"])


@transaction.atomic
def do_set_smtp_password(*, server: SmtpServer, password: str) -> None:
    server.password_encrypted = seal(password)
    server.save(update_fields=["password_encrypted"])


@transaction.atomic
def do_set_robot_secrets(*, robot: GroupRobot, url: str | None, secret: str | None) -> None:
    """Store a robot's webhook address and signing secret encrypted (None keeps the stored one)."""
    if url is not None:
        robot.url_encrypted = seal(url)
    if secret is not None:
        robot.secret_encrypted = seal(secret)
    robot.save(update_fields=["url_encrypted", "secret_encrypted"])


@transaction.atomic
def do_resend_delivery(*, actor: User | None, delivery: Delivery) -> Delivery:
    """After the cause is fixed (a setting, a number), a parked delivery is sent again."""
    incident_id = delivery.notification.incident_id
    incident = lock_incident(incident_id) if incident_id else None
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if not OUTBOX.allows(locked.state, "resend"):
        raise IllegalTransition(
            f"外发记录当前状态为「{locked.get_state_display()}」，只有已搁置的记录可以重发"
        )
    engine.resend(NOTIFY_QUEUE, locked)
    if incident is not None:
        append_event(
            incident=incident,
            kind=EventKind.DELIVERY_RESENT,
            summary=f"重新发送{locked.get_channel_display()}通知给{locked.recipient}",
            actor=actor,
            data={"delivery": locked.pk, "channel": locked.channel},
        )
    return locked


@transaction.atomic
def do_load_default_templates() -> int:
    """The shipped message templates that are missing (as the migration wrote them); templates
    already there, edited or not, are kept. The number added."""
    added = 0
    for kind, (label, external, title, text) in DEFAULT_TEMPLATES.items():
        _, created = MessageTemplate.objects.get_or_create(
            kind=kind, defaults={"label": label, "external": external, "title": title, "text": text}
        )
        added += created
    return added

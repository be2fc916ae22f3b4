"""The channel messages' queue on the one delivery mechanism (liandong.outbox.engine): each
delivery is sent by its channel's sender (liandong.channels) with the settings stored now."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial

from django.conf import settings

from liandong.channels import (
    DingTalkRobotConfig,
    Message,
    Result,
    SmsGatewayConfig,
    SmtpConfig,
    WeComRobotConfig,
    send_dingtalk,
    send_email,
    send_sms,
    send_wecom,
)
from liandong.common import secretbox
from liandong.notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    SmsGateway,
    SmtpServer,
)
from liandong.outbox import engine
from liandong.outbox.engine import Outcome

log = logging.getLogger("liandong.notifications")

NOTIFY_QUEUE: engine.Queue[Delivery] = engine.Queue(
    name="通知外发",
    model=Delivery,
    attempt_model=DeliveryAttempt,
    attempt_fk="delivery",
    label=lambda d: f"{d.pk} {d.channel}",
    related=("robot",),
)


def sms_config(gateway: SmsGateway) -> SmsGatewayConfig:
    headers = (
        json.loads(secretbox.decrypt(gateway.headers_encrypted) or "{}")
        if gateway.headers_encrypted
        else {}
    )
    return SmsGatewayConfig(
        url=gateway.url,
        method=gateway.method,
        headers=headers,
        body_template=gateway.body_template,
        content_type=gateway.content_type,
        success_json_path=gateway.success_json_path,
        success_value=gateway.success_value,
        success_contains=gateway.success_contains,
        permanent_values=tuple(str(v) for v in gateway.permanent_values or ()),
    )


def smtp_config(server: SmtpServer) -> SmtpConfig:
    return SmtpConfig(
        server.host,
        server.port,
        server.username,
        secretbox.decrypt(server.password_encrypted) or "" if server.password_encrypted else "",
        security=server.security,
        sender=server.sender,
        sender_name=server.sender_name,
    )


def _outcome(result: Result) -> Outcome:
    verdict = "delivered" if result.ok else ("park" if result.permanent else "retry")
    return Outcome(result.status, result.error, result.duration_ms, verdict)


def _missing(what: str) -> Outcome:
    return Outcome(None, f"{what}未配置或已停用", 0, "park")


def prepare(delivery: Delivery) -> engine.Send:
    """The delivery's send with its channel's settings read now (in the worker's own thread: the
    send itself may run in a pool thread, which must not touch the database)."""
    message = Message(title=delivery.title, text=delivery.text, markdown=delivery.markdown)
    transmit: Callable[[], Result]
    if delivery.channel == Channel.SMS:
        gateway = SmsGateway.objects.filter(active=True).first()
        if gateway is None:
            return _given(_missing("短信网关"))
        sms, phone = sms_config(gateway), delivery.address
        transmit = partial(send_sms, sms, phone=phone, message=message)
    elif delivery.channel == Channel.EMAIL:
        server = SmtpServer.objects.filter(active=True).first()
        if server is None:
            return _given(_missing("邮件服务器"))
        transmit = partial(send_email, smtp_config(server), to=delivery.address, message=message)
    else:
        robot = delivery.robot
        if robot is None or not robot.active:
            return _given(_missing("群机器人"))
        url = secretbox.decrypt(robot.url_encrypted) or ""
        if delivery.channel == Channel.WECOM:
            transmit = partial(send_wecom, WeComRobotConfig(url), message=message)
        else:
            secret = (
                secretbox.decrypt(robot.secret_encrypted) or "" if robot.secret_encrypted else ""
            )
            ding = DingTalkRobotConfig(url, secret)
            transmit = partial(send_dingtalk, ding, message=message)

    def send_now() -> Outcome:
        try:
            return _outcome(transmit())
        except ValueError as exc:  # a configuration that can never work
            return Outcome(None, str(exc)[:500], 0, "park")

    return send_now


def _given(outcome: Outcome) -> engine.Send:
    return lambda: outcome


def send(delivery: Delivery) -> Outcome:
    """One delivery, prepared and sent in this thread."""
    return prepare(delivery)()


def concurrency() -> int:
    """How many notifications one worker sends at once (LIANDONG_NOTIFY_CONCURRENCY)."""
    return max(1, settings.LIANDONG_NOTIFY_CONCURRENCY)


def deliver_notifications(max_rounds: int = 5, budget_seconds: float | None = None) -> int:
    """Worker task: send what is due, up to `concurrency()` at once. Returns how many deliveries
    arrived."""
    return engine.deliver_concurrently(
        NOTIFY_QUEUE,
        prepare,
        concurrency=concurrency(),
        max_rounds=max_rounds,
        budget_seconds=budget_seconds,
    )

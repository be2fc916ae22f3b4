"""The channel messages' queue on the one delivery mechanism (liandong.outbox.engine): each
delivery is sent by its channel's sender (liandong.channels) with the settings stored now."""

from __future__ import annotations

import json
import logging

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


def send(delivery: Delivery) -> Outcome:
    message = Message(title=delivery.title, text=delivery.text, markdown=delivery.markdown)
    try:
        if delivery.channel == Channel.SMS:
            gateway = SmsGateway.objects.filter(active=True).first()
            if gateway is None:
                return _missing("短信网关")
            return _outcome(send_sms(sms_config(gateway), phone=delivery.address, message=message))
        if delivery.channel == Channel.EMAIL:
            server = SmtpServer.objects.filter(active=True).first()
            if server is None:
                return _missing("邮件服务器")
            return _outcome(send_email(smtp_config(server), to=delivery.address, message=message))
        robot = delivery.robot
        if robot is None or not robot.active:
            return _missing("群机器人")
        url = secretbox.decrypt(robot.url_encrypted) or ""
        if delivery.channel == Channel.WECOM:
            return _outcome(send_wecom(WeComRobotConfig(url), message=message))
        secret = secretbox.decrypt(robot.secret_encrypted) or "" if robot.secret_encrypted else ""
        return _outcome(send_dingtalk(DingTalkRobotConfig(url, secret), message=message))
    except ValueError as exc:  # a configuration that can never work
        return Outcome(None, str(exc)[:500], 0, "park")


def deliver_notifications(max_rounds: int = 5, budget_seconds: float | None = None) -> int:
    """Worker task: send what is due. Returns how many deliveries arrived."""
    return engine.deliver(NOTIFY_QUEUE, send, max_rounds=max_rounds, budget_seconds=budget_seconds)

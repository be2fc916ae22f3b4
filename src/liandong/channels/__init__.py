"""Outbound notification channels: SMS gateway, WeCom and DingTalk group robots, e-mail.

Standalone and Django-free (pure Python, `requests`, `smtplib`/`email`). Each `send_*` makes one
attempt and returns a `Result`; it never raises for the network or the remote, and raises
ValueError only for a config whose `validate()` finds errors. Storing attempts, retrying and
parking are the caller's.
"""

from liandong.channels.base import Message, Result
from liandong.channels.dingtalk import DingTalkRobotConfig, dingtalk_sign, send_dingtalk
from liandong.channels.email import SmtpConfig, send_email
from liandong.channels.sms import SmsGatewayConfig, send_sms
from liandong.channels.wecom import WeComRobotConfig, send_wecom

__all__ = [
    "DingTalkRobotConfig",
    "Message",
    "Result",
    "SmsGatewayConfig",
    "SmtpConfig",
    "WeComRobotConfig",
    "dingtalk_sign",
    "send_dingtalk",
    "send_email",
    "send_sms",
    "send_wecom",
]

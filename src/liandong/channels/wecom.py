"""WeCom (企业微信) group robot: one JSON POST to the robot's webhook.

The config holds the full webhook URL, normally
`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`, or an intranet proxy's address. The
key in it is a secret: the URL is never recorded, nor put into an error.

Bodies (WeCom's documented formats):
- text: `{"msgtype": "text", "text": {"content": ..., "mentioned_mobile_list": [...]}}`, the list
  only when there are mentions;
- markdown (when the message has one): `{"msgtype": "markdown", "markdown": {"content": ...}}`;
  it has no list of mobiles to @, so a message with markdown @s no one.
WeCom limits text to 2048 and markdown to 4096 bytes of UTF-8; longer content is cut (with "…")
rather than refused.

Answer `{"errcode": 0, "errmsg": "ok"}` is success; 45009 (rate limit), -1 (busy) and 6000 (data
version conflict, "try later") are retried; any other code (93000 invalid webhook, 40008 invalid
message type, 40058 invalid parameter, …) is permanent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from liandong.channels.base import Message, Result, clip_utf8, raise_if_invalid
from liandong.channels.transport import send_robot, url_problem

DEFAULT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY"
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
RETRYABLE_CODES = frozenset({-1, 6000, 45009})
HINTS = {
    -1: "系统繁忙",
    45009: "发送频率超过限制",
    93000: "机器人地址无效",
    40008: "消息类型无效",
    40058: "消息参数无效",
}


@dataclass(frozen=True)
class WeComRobotConfig:
    url: str
    timeout: float = 10

    def validate(self) -> list[str]:
        errors = []
        problem = url_problem(self.url, "企业微信机器人地址")
        if problem:
            errors.append(problem)
        if self.timeout <= 0:
            errors.append("超时时间必须大于 0 秒")
        return errors

    def secrets(self) -> tuple[str, ...]:
        """The webhook key (and the whole URL), never to be recorded."""
        try:
            query = dict(parse_qsl(urlsplit(self.url).query))
        except ValueError:
            query = {}
        return tuple(s for s in (self.url, query.get("key", "")) if s)


def wecom_payload(message: Message) -> dict[str, Any]:
    """The JSON body WeCom's robot takes for `message`."""
    if message.markdown:
        content = clip_utf8(message.markdown, MARKDOWN_MAX_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}
    text: dict[str, Any] = {"content": clip_utf8(message.text, TEXT_MAX_BYTES)}
    if message.mentions:
        text["mentioned_mobile_list"] = list(message.mentions)
    return {"msgtype": "text", "text": text}


def send_wecom(config: WeComRobotConfig, *, message: Message) -> Result:
    """Post `message` to the WeCom robot. Raises ValueError only for an unusable config."""
    raise_if_invalid(config.validate())
    return send_robot(
        config.url,
        wecom_payload(message),
        timeout=config.timeout,
        robot="企业微信",
        retryable_codes=RETRYABLE_CODES,
        hints=HINTS,
        secrets=config.secrets(),
    )

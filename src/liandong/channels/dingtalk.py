"""DingTalk (钉钉) custom group robot, plain or signed ("加签").

The config holds the full webhook URL, normally
`https://oapi.dingtalk.com/robot/send?access_token=TOKEN`, or an intranet proxy's address. With a
secret (the `SEC…` string of the robot's security settings), each send appends
`&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))>`.
The token, the secret and the signature are never recorded nor put into an error: the URL never is.

Bodies (DingTalk's documented formats):
- text: `{"msgtype": "text", "text": {"content": ...}, "at": {"atMobiles": [...], "isAtAll": false}}`
- markdown (when the message has one):
  `{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}, "at": {...}}`

errcode 0 is success; 130101 and 410100 (sending too fast), 90030 (webhook call quota reached;
it resets) and -1 (busy) are retried; any other code (310000 keyword, signature or IP mismatch,
300001 invalid token, 400102 robot stopped, …) is permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from liandong.channels.base import Message, Result, raise_if_invalid
from liandong.channels.transport import send_robot, url_problem

DEFAULT_URL = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN"
RETRYABLE_CODES = frozenset({-1, 90030, 130101, 410100})
HINTS = {
    -1: "系统繁忙",
    90030: "机器人调用次数达到上限",
    130101: "发送太快，每分钟最多 20 条",
    410100: "发送太快，已被限流",
    310000: "关键词、签名或 IP 白名单不符",
    300001: "机器人令牌无效",
    400102: "机器人已停用",
}


@dataclass(frozen=True)
class DingTalkRobotConfig:
    url: str
    secret: str = field(default="", repr=False)
    timeout: float = 10

    def validate(self) -> list[str]:
        errors = []
        problem = url_problem(self.url, "钉钉机器人地址")
        if problem:
            errors.append(problem)
        if self.secret != self.secret.strip() or any(c.isspace() for c in self.secret):
            errors.append("钉钉机器人加签密钥中不能有空白字符")
        if self.timeout <= 0:
            errors.append("超时时间必须大于 0 秒")
        return errors

    def secrets(self) -> tuple[str, ...]:
        """The secret, the access token and the URL: never to be recorded."""
        try:
            query = dict(parse_qsl(urlsplit(self.url).query))
        except ValueError:
            query = {}
        return tuple(s for s in (self.secret, self.url, query.get("access_token", "")) if s)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, base64 (not yet URL-encoded): HMAC-SHA256 keyed with the secret over
    "<timestamp>\\n<secret>", both UTF-8."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """`url` with `timestamp` and `sign` appended (any older ones in it dropped)."""
    parts = urlsplit(url)
    kept = [
        item
        for item in parts.query.split("&")
        if item and item.split("=", 1)[0] not in ("timestamp", "sign")
    ]
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    query = "&".join([*kept, f"timestamp={timestamp_ms}", f"sign={sign}"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def dingtalk_payload(message: Message) -> dict[str, Any]:
    """The JSON body DingTalk's robot takes for `message`."""
    at = {"atMobiles": list(message.mentions), "isAtAll": False}
    if message.markdown:
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": message.markdown},
            "at": at,
        }
    return {"msgtype": "text", "text": {"content": message.text}, "at": at}


def send_dingtalk(
    config: DingTalkRobotConfig, *, message: Message, now_ms: int | None = None
) -> Result:
    """Post `message` to the DingTalk robot, signed when the config has a secret. `now_ms` (Unix
    time in milliseconds) is for tests. Raises ValueError only for an unusable config."""
    raise_if_invalid(config.validate())
    url = config.url
    secrets = list(config.secrets())
    if config.secret:
        timestamp_ms = int(time.time() * 1000) if now_ms is None else now_ms
        sign = dingtalk_sign(config.secret, timestamp_ms)
        url = signed_url(config.url, config.secret, timestamp_ms)
        secrets += [sign, quote_plus(sign), url]
    return send_robot(
        url,
        dingtalk_payload(message),
        timeout=config.timeout,
        robot="钉钉",
        retryable_codes=RETRYABLE_CODES,
        hints=HINTS,
        secrets=secrets,
    )

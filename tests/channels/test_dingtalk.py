"""The DingTalk group robot sender against a local fake webhook, with the signature checked
independently from DingTalk's documented formula."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import pytest

from liandong.channels import DingTalkRobotConfig, Message, dingtalk_sign, send_dingtalk
from tests.channels.fakes import FakeHttpServer, Reply, closed_port

TOKEN = "98975521a1b23c02cdd1a9a08c69511ddf5fa9d2ae387813d1c5348fb"
SECRET = "SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee"
NOW_MS = 1_700_000_000_123
TEXT = '警情 YH-0042 "供热管道破裂" 签收即将超时\n请尽快签收'


def config_for(server: FakeHttpServer, secret: str = SECRET) -> DingTalkRobotConfig:
    return DingTalkRobotConfig(server.url(f"/robot/send?access_token={TOKEN}"), secret=secret)


def expected_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's formula, written out again: base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def test_known_answer_vector() -> None:
    # Computed outside Python:
    #   printf '1700000000000\nSECtest' | openssl dgst -sha256 -hmac 'SECtest' -binary | base64
    assert (
        dingtalk_sign("SECtest", 1_700_000_000_000)
        == "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g="
    )
    assert expected_sign("SECtest", 1_700_000_000_000) == dingtalk_sign(
        "SECtest", 1_700_000_000_000
    )


def test_signed_text_message(http_server: FakeHttpServer) -> None:
    message = Message(title="签收即将超时", text=TEXT, mentions=("13800001111",))
    result = send_dingtalk(config_for(http_server), message=message, now_ms=NOW_MS)

    assert (result.ok, result.status, result.permanent, result.error) == (True, 200, False, "")
    sent = http_server.last
    assert (sent.method, sent.path) == ("POST", "/robot/send")
    assert sent.headers["content-type"] == "application/json; charset=utf-8"
    sign = expected_sign(SECRET, NOW_MS)
    assert sent.query == {"access_token": [TOKEN], "timestamp": [str(NOW_MS)], "sign": [sign]}
    # The signature travels URL-encoded: base64's + / = never appear raw in the query.
    assert sent.raw_query.endswith(f"&timestamp={NOW_MS}&sign={quote_plus(sign)}")
    assert sent.json() == {
        "msgtype": "text",
        "text": {"content": TEXT},
        "at": {"atMobiles": ["13800001111"], "isAtAll": False},
    }
    assert result.request_body == sent.body.decode("utf-8")


def test_markdown_message(http_server: FakeHttpServer) -> None:
    markdown = "#### 签收即将超时\n> 警情 YH-0042，剩余 **10 分钟**"
    message = Message(title="签收即将超时", text=TEXT, markdown=markdown)
    assert send_dingtalk(config_for(http_server), message=message, now_ms=NOW_MS).ok

    assert http_server.last.json() == {
        "msgtype": "markdown",
        "markdown": {"title": "签收即将超时", "text": markdown},
        "at": {"atMobiles": [], "isAtAll": False},
    }


def test_unsigned_when_there_is_no_secret(http_server: FakeHttpServer) -> None:
    assert send_dingtalk(config_for(http_server, secret=""), message=Message("t", TEXT)).ok
    assert http_server.last.query == {"access_token": [TOKEN]}


def test_timestamp_defaults_to_now_and_old_signatures_are_replaced(
    http_server: FakeHttpServer,
) -> None:
    stale = http_server.url(f"/robot/send?access_token={TOKEN}&timestamp=1&sign=old")
    before = int(time.time() * 1000)
    assert send_dingtalk(DingTalkRobotConfig(stale, secret=SECRET), message=Message("t", TEXT)).ok
    after = int(time.time() * 1000)

    query = http_server.last.query
    timestamp = int(query["timestamp"][0])
    assert before <= timestamp <= after
    assert query["sign"] == [expected_sign(SECRET, timestamp)]
    assert query["access_token"] == [TOKEN]


@pytest.mark.parametrize(
    ("errcode", "errmsg", "permanent"),
    [
        (130101, "send too fast, exceed 20 times per minute", False),
        (410100, "send too fast", False),
        (-1, "system busy", False),
        (310000, "sign not match", True),
        (310000, "keywords not in content", True),
        (300001, "token is not exist", True),
        (400102, "robot stopped", True),
    ],
)
def test_errcode_classification(
    http_server: FakeHttpServer, errcode: int, errmsg: str, permanent: bool
) -> None:
    http_server.answer(Reply(body=f'{{"errcode": {errcode}, "errmsg": "{errmsg}"}}'))
    result = send_dingtalk(config_for(http_server), message=Message("t", TEXT), now_ms=NOW_MS)

    assert (result.ok, result.status, result.permanent) == (False, 200, permanent)
    assert str(errcode) in result.error and errmsg in result.error


def test_secret_token_and_signature_are_never_recorded_nor_echoed(
    http_server: FakeHttpServer,
) -> None:
    sign = expected_sign(SECRET, NOW_MS)
    echo = f"sign not match: secret={SECRET} sign={sign} enc={quote_plus(sign)} token={TOKEN}"
    http_server.answer(Reply(body=f'{{"errcode": 310000, "errmsg": "{echo}"}}'))
    message = Message(title="t", text=f"正文 {TEXT}")
    result = send_dingtalk(config_for(http_server), message=message, now_ms=NOW_MS)

    assert result.permanent
    for secret in (SECRET, sign, quote_plus(sign), TOKEN):
        assert secret not in result.error
        assert secret not in result.request_body
    assert "310000" in result.error and "***" in result.error


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [
        (Reply(status=200, body="not json", content_type="text/plain"), False),
        (Reply(status=503, body="busy"), False),
        (Reply(status=403, body="forbidden"), True),
    ],
)
def test_http_and_unreadable_answers(
    http_server: FakeHttpServer, reply: Reply, permanent: bool
) -> None:
    http_server.answer(reply)
    result = send_dingtalk(config_for(http_server), message=Message("t", TEXT), now_ms=NOW_MS)
    assert (result.ok, result.status, result.permanent) == (False, reply.status, permanent)


def test_timeout_and_refused_are_retried_and_keep_the_secret(silent_port: int) -> None:
    for port, timeout, word in ((silent_port, 0.5, "超时"), (closed_port(), 2.0, "无法连接")):
        config = DingTalkRobotConfig(
            f"http://127.0.0.1:{port}/robot/send?access_token={TOKEN}",
            secret=SECRET,
            timeout=timeout,
        )
        result = send_dingtalk(config, message=Message("t", TEXT), now_ms=NOW_MS)
        assert (result.ok, result.status, result.permanent) == (False, None, False)
        assert word in result.error
        assert SECRET not in result.error and TOKEN not in result.error


def test_validate() -> None:
    good = DingTalkRobotConfig(f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", SECRET)
    assert good.validate() == []
    assert SECRET not in repr(good)
    errors = DingTalkRobotConfig("oapi.dingtalk.com", secret=" SEC x", timeout=-1).validate()
    assert len(errors) == 3, errors
    with pytest.raises(ValueError, match="钉钉机器人地址"):
        send_dingtalk(DingTalkRobotConfig("ftp://x"), message=Message("t", "x"))

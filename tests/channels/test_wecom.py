"""The WeCom group robot sender against a local fake webhook."""

from __future__ import annotations

import pytest

from liandong.channels import Message, WeComRobotConfig, send_wecom
from liandong.channels.wecom import MARKDOWN_MAX_BYTES, TEXT_MAX_BYTES
from tests.channels.fakes import FakeHttpServer, Reply, closed_port

KEY = "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
TEXT = '警情 YH-0042 "供热管道破裂" 签收即将超时\n请尽快签收'


def config_for(server: FakeHttpServer, **kwargs: float) -> WeComRobotConfig:
    return WeComRobotConfig(server.url(f"/cgi-bin/webhook/send?key={KEY}"), **kwargs)


def test_text_without_mentions(http_server: FakeHttpServer) -> None:
    result = send_wecom(config_for(http_server), message=Message(title="签收即将超时", text=TEXT))

    assert (result.ok, result.status, result.permanent, result.error) == (True, 200, False, "")
    sent = http_server.last
    assert (sent.method, sent.path, sent.query) == ("POST", "/cgi-bin/webhook/send", {"key": [KEY]})
    assert sent.headers["content-type"] == "application/json; charset=utf-8"
    assert sent.json() == {"msgtype": "text", "text": {"content": TEXT}}
    assert "供热管道破裂".encode() in sent.body  # UTF-8, not \u escapes
    assert result.request_body == sent.body.decode("utf-8")


def test_text_with_mentions(http_server: FakeHttpServer) -> None:
    message = Message(title="t", text=TEXT, mentions=("13800001111", "13900002222"))
    assert send_wecom(config_for(http_server), message=message).ok

    assert http_server.last.json() == {
        "msgtype": "text",
        "text": {"content": TEXT, "mentioned_mobile_list": ["13800001111", "13900002222"]},
    }


def test_markdown_when_the_message_has_one(http_server: FakeHttpServer) -> None:
    markdown = '**签收即将超时**\n> 警情：<font color="warning">YH-0042</font>'
    message = Message(title="签收即将超时", text=TEXT, markdown=markdown, mentions=("13800001111",))
    assert send_wecom(config_for(http_server), message=message).ok

    assert http_server.last.json() == {"msgtype": "markdown", "markdown": {"content": markdown}}


def test_content_over_wecoms_limits_is_cut_at_a_character(http_server: FakeHttpServer) -> None:
    send_wecom(config_for(http_server), message=Message(title="t", text="警" * 1000))
    content = http_server.last.json()["text"]["content"]
    assert len(content.encode("utf-8")) <= TEXT_MAX_BYTES and content.endswith("…")
    assert content.startswith("警" * 600)

    send_wecom(config_for(http_server), message=Message(title="t", text="", markdown="情" * 2000))
    content = http_server.last.json()["markdown"]["content"]
    assert len(content.encode("utf-8")) <= MARKDOWN_MAX_BYTES and content.endswith("…")


@pytest.mark.parametrize(
    ("errcode", "errmsg", "permanent"),
    [
        (45009, "api freq out of limit", False),
        (-1, "system busy", False),
        (93000, "invalid webhook url, hint: [1700000000]", True),
        (40008, "invalid message type", True),
        (40058, "markdown.content exceed max length 4096", True),
    ],
)
def test_errcode_classification(
    http_server: FakeHttpServer, errcode: int, errmsg: str, permanent: bool
) -> None:
    http_server.answer(Reply(body=f'{{"errcode": {errcode}, "errmsg": "{errmsg}"}}'))
    result = send_wecom(config_for(http_server), message=Message(title="t", text=TEXT))

    assert (result.ok, result.status, result.permanent) == (False, 200, permanent)
    assert str(errcode) in result.error and errmsg in result.error
    assert result.request_body  # recorded for the stored attempt


def test_the_key_is_never_recorded_nor_echoed(http_server: FakeHttpServer) -> None:
    http_server.answer(
        Reply(body=f'{{"errcode": 93000, "errmsg": "invalid webhook url key={KEY}"}}')
    )
    result = send_wecom(config_for(http_server), message=Message(title="t", text=TEXT))

    assert result.permanent and KEY not in result.error and KEY not in result.request_body
    assert "***" in result.error


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [
        (Reply(status=200, body="<html>proxy error</html>", content_type="text/html"), False),
        (Reply(status=200, body='{"errmsg": "no code"}'), False),
        (Reply(status=502, body="Bad Gateway"), False),
        (Reply(status=429, body=""), False),
        (Reply(status=404, body="not found"), True),
    ],
)
def test_http_and_unreadable_answers(
    http_server: FakeHttpServer, reply: Reply, permanent: bool
) -> None:
    http_server.answer(reply)
    result = send_wecom(config_for(http_server), message=Message(title="t", text=TEXT))

    assert (result.ok, result.status, result.permanent) == (False, reply.status, permanent)
    assert result.error


def test_timeout_and_refused_are_retried(silent_port: int) -> None:
    slow = send_wecom(
        WeComRobotConfig(f"http://127.0.0.1:{silent_port}/send?key={KEY}", timeout=0.5),
        message=Message(title="t", text=TEXT),
    )
    assert (slow.ok, slow.status, slow.permanent) == (False, None, False)
    assert "超时" in slow.error and KEY not in slow.error

    refused = send_wecom(
        WeComRobotConfig(f"http://127.0.0.1:{closed_port()}/send?key={KEY}", timeout=2),
        message=Message(title="t", text=TEXT),
    )
    assert (refused.ok, refused.status, refused.permanent) == (False, None, False)
    assert "无法连接" in refused.error and KEY not in refused.error


def test_validate() -> None:
    assert (
        WeComRobotConfig(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}").validate()
        == []
    )
    errors = WeComRobotConfig("qyapi.weixin.qq.com/send", timeout=0).validate()
    assert any("企业微信机器人地址" in e for e in errors) and any("超时" in e for e in errors)
    with pytest.raises(ValueError, match="企业微信机器人地址"):
        send_wecom(WeComRobotConfig("not a url"), message=Message(title="t", text="x"))

"""The SMS gateway sender against a local fake gateway: rendered requests, escaping, success rules,
error classification and what is recorded."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

import pytest

from liandong.channels import Message, SmsGatewayConfig, send_sms
from tests.channels.fakes import FakeHttpServer, Reply, closed_port

PHONE = "13812345678"
TRICKY = '请于"30分钟"内签收\n地址：于洪区\\北陵大街 & 100%=满 + #1'
MESSAGE = Message(title="签收即将超时", text=TRICKY)
NOW = 1_700_000_000.75
JSON_TEMPLATE = (
    '{"mobile": "${phone}", "content": "${text}", "title": "${title}", "ts": ${timestamp},'
    ' "sign": "SIGN-abcdef123", "nested": {"password": "pw-0123456789"}}'
)


def json_config(url: str, **changes: Any) -> SmsGatewayConfig:
    config = SmsGatewayConfig(
        url=url,
        method="POST",
        headers={"X-App": "liandong"},
        body_template=JSON_TEMPLATE,
        content_type="application/json",
    )
    return replace(config, **changes)


def test_json_template_escapes_quotes_newlines_backslashes_and_keeps_chinese(
    http_server: FakeHttpServer,
) -> None:
    result = send_sms(
        json_config(http_server.url("/sms/send")), phone=PHONE, message=MESSAGE, now=NOW
    )

    assert result.ok, result
    assert (result.status, result.permanent, result.error) == (200, False, "")
    sent = http_server.last
    assert (sent.method, sent.path) == ("POST", "/sms/send")
    assert sent.headers["content-type"] == "application/json; charset=utf-8"
    assert sent.headers["x-app"] == "liandong"
    assert sent.json() == {
        "mobile": PHONE,
        "content": TRICKY,
        "title": "签收即将超时",
        "ts": 1_700_000_000,
        "sign": "SIGN-abcdef123",
        "nested": {"password": "pw-0123456789"},
    }
    # Chinese travels as UTF-8, not as \u escapes; the quotes and the newline are escaped.
    assert "签收即将超时".encode() in sent.body
    assert b'\\"30\xe5\x88\x86\xe9\x92\x9f\\"' in sent.body and b"\\n" in sent.body


def test_form_template_form_encodes_every_value(http_server: FakeHttpServer) -> None:
    config = SmsGatewayConfig(
        url=http_server.url("/send"),
        method="POST",
        headers={},
        body_template="account=yhq&mobile=${phone}&msg=${text}&subject=${title}&t=${timestamp}",
        content_type="application/x-www-form-urlencoded",
    )
    assert send_sms(config, phone=PHONE, message=MESSAGE, now=NOW).ok

    sent = http_server.last
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert parse_qs(sent.body.decode("ascii"), strict_parsing=True) == {
        "account": ["yhq"],
        "mobile": [PHONE],
        "msg": [TRICKY],
        "subject": ["签收即将超时"],
        "t": ["1700000000"],
    }
    assert b"%26" in sent.body and b"%3D" in sent.body and b"+" in sent.body  # & = and space


def test_plain_text_template_sends_values_as_they_are(http_server: FakeHttpServer) -> None:
    config = SmsGatewayConfig(
        url=http_server.url("/plain"),
        method="POST",
        headers={},
        body_template="TO:${phone}\n${title}|${text}",
        content_type="text/plain",
    )
    result = send_sms(config, phone=PHONE, message=MESSAGE, now=NOW)

    assert result.ok
    assert http_server.last.headers["content-type"] == "text/plain; charset=utf-8"
    assert http_server.last.body.decode("utf-8") == f"TO:{PHONE}\n签收即将超时|{TRICKY}"
    assert result.request_body == f"TO:{PHONE}\n签收即将超时|{TRICKY}"


def test_get_puts_url_encoded_values_in_the_query(http_server: FakeHttpServer) -> None:
    config = SmsGatewayConfig(
        url=http_server.url("/api/sms?user=yhq&to=${phone}&content=${text}&ts=${timestamp}"),
        method="GET",
        headers={"Accept": "application/json"},
        body_template="",
        content_type="text/plain",
    )
    result = send_sms(config, phone="+86-138-1234-5678", message=MESSAGE, now=NOW)

    assert result.ok, result
    sent = http_server.last
    assert (sent.method, sent.path, sent.body) == ("GET", "/api/sms", b"")
    assert "content-type" not in sent.headers
    assert sent.query == {
        "user": ["yhq"],
        "to": ["+86-138-1234-5678"],
        "content": [TRICKY],
        "ts": ["1700000000"],
    }
    assert "%2B86-138" in sent.raw_query and "%0A" in sent.raw_query and "%20" in sent.raw_query
    assert result.request_body == http_server.url("/api/sms?" + sent.raw_query)


@pytest.mark.parametrize(
    ("answer", "path", "value", "ok"),
    [
        ('{"result": {"code": 0, "msg": "成功"}}', "result.code", "0", True),
        ('{"result": {"code": "0"}}', "result.code", "0", True),
        ('{"success": true}', "success", "true", True),
        ('{"data": [{"status": "OK"}]}', "data.0.status", "OK", True),
        ('{"result": {"code": 1001, "msg": "余额不足"}}', "result.code", "0", False),
        ('{"success": false}', "success", "true", False),
        ('{"result": {}}', "result.code", "0", False),
        ("<html>网关维护中</html>", "result.code", "0", False),
    ],
)
def test_success_json_path_compares_as_string(
    http_server: FakeHttpServer, answer: str, path: str, value: str, ok: bool
) -> None:
    http_server.answer(Reply(body=answer))
    config = json_config(http_server.url(), success_json_path=path, success_value=value)
    result = send_sms(config, phone=PHONE, message=MESSAGE)

    assert result.ok is ok
    assert result.status == 200
    assert result.permanent is False  # a 2xx that fails the rule is retried
    if not ok:
        assert path in result.error or "JSON" in result.error


def test_failed_rule_quotes_the_gateways_answer(http_server: FakeHttpServer) -> None:
    http_server.answer(Reply(body='{"result": {"code": 1001, "msg": "余额不足"}}'))
    config = json_config(http_server.url(), success_json_path="result.code", success_value="0")
    result = send_sms(config, phone=PHONE, message=MESSAGE)

    assert not result.ok and not result.permanent
    assert "result.code = 1001" in result.error and "余额不足" in result.error


def test_permanent_values_park_a_hopeless_answer(http_server: FakeHttpServer) -> None:
    config = json_config(
        http_server.url(),
        success_json_path="result.code",
        success_value="0",
        permanent_values=("2001",),
    )
    http_server.answer(Reply(body='{"result": {"code": 2001, "msg": "号码无效"}}'))
    assert send_sms(config, phone=PHONE, message=MESSAGE).permanent is True
    http_server.answer(Reply(body='{"result": {"code": 1001}}'))
    assert send_sms(config, phone=PHONE, message=MESSAGE).permanent is False


@pytest.mark.parametrize(
    ("answer", "contains", "ok"),
    [("提交成功 id=88", "成功", True), ("提交失败", "成功", False), ('{"r":"OK"}', '"OK"', True)],
)
def test_success_contains(
    http_server: FakeHttpServer, answer: str, contains: str, ok: bool
) -> None:
    http_server.answer(Reply(body=answer, content_type="text/plain; charset=utf-8"))
    result = send_sms(
        json_config(http_server.url(), success_contains=contains), phone=PHONE, message=MESSAGE
    )
    assert (result.ok, result.permanent) == (ok, False)


def test_both_rules_must_hold(http_server: FakeHttpServer) -> None:
    config = json_config(
        http_server.url(), success_json_path="code", success_value="0", success_contains="queued"
    )
    http_server.answer(Reply(body='{"code": 0, "state": "sent"}'))
    assert not send_sms(config, phone=PHONE, message=MESSAGE).ok
    http_server.answer(Reply(body='{"code": 0, "state": "queued"}'))
    assert send_sms(config, phone=PHONE, message=MESSAGE).ok


def test_an_answer_in_gbk_is_read_with_its_charset(http_server: FakeHttpServer) -> None:
    http_server.answer(
        Reply(body="发送成功", content_type="text/plain; charset=GBK", encoding="gbk")
    )
    config = json_config(http_server.url(), success_contains="发送成功")
    assert send_sms(config, phone=PHONE, message=MESSAGE).ok


def test_an_answer_without_charset_is_read_as_utf8(http_server: FakeHttpServer) -> None:
    http_server.answer(Reply(body="发送成功", content_type="text/plain"))
    config = json_config(http_server.url(), success_contains="发送成功")
    assert send_sms(config, phone=PHONE, message=MESSAGE).ok


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (401, True),
        (403, True),
        (404, True),
        (302, True),
        (408, False),
        (429, False),
        (500, False),
        (502, False),
        (503, False),
    ],
)
def test_http_status_classification(
    http_server: FakeHttpServer, status: int, permanent: bool
) -> None:
    http_server.answer(Reply(status=status, body='{"msg": "拒绝"}'))
    result = send_sms(json_config(http_server.url()), phone=PHONE, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, status, permanent)
    assert f"HTTP {status}" in result.error and "拒绝" in result.error
    assert result.request_body  # the attempt records what was sent


def test_timeout_when_the_port_never_answers(silent_port: int) -> None:
    config = json_config(f"http://127.0.0.1:{silent_port}/sms", timeout=0.5)
    result = send_sms(config, phone=PHONE, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "超时" in result.error
    assert 400 <= result.duration_ms < 5000


def test_timeout_when_the_gateway_answers_too_late(http_server: FakeHttpServer) -> None:
    http_server.answer(Reply(delay=1.5))
    result = send_sms(json_config(http_server.url(), timeout=0.5), phone=PHONE, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "超时" in result.error and result.duration_ms < 1400


def test_connection_refused_is_retried() -> None:
    config = json_config(f"http://127.0.0.1:{closed_port()}/sms", timeout=2)
    result = send_sms(config, phone=PHONE, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "无法连接" in result.error


def test_credentials_are_never_recorded_nor_echoed(http_server: FakeHttpServer) -> None:
    config = json_config(
        http_server.url("/send?apikey=URLKEY-998877&to=${phone}"),
        headers={"Authorization": "Bearer HEADER-TOKEN-42", "X-App": "liandong"},
        secret_values=("SIGN-abcdef123",),
    )
    echo = "bad: pw-0123456789 SIGN-abcdef123 HEADER-TOKEN-42 URLKEY-998877"
    http_server.answer(Reply(status=500, body=echo))
    result = send_sms(config, phone=PHONE, message=MESSAGE)

    # The gateway got every credential …
    assert http_server.last.json()["nested"]["password"] == "pw-0123456789"
    assert http_server.last.headers["authorization"] == "Bearer HEADER-TOKEN-42"
    # … and none of them is in what the attempt records.
    for secret in ("pw-0123456789", "SIGN-abcdef123", "HEADER-TOKEN-42", "URLKEY-998877"):
        assert secret not in result.error
        assert secret not in result.request_body
    assert json.loads(result.request_body)["nested"] == {"password": "***"}
    assert json.loads(result.request_body)["content"] == TRICKY


def test_form_and_query_credentials_are_hidden(http_server: FakeHttpServer) -> None:
    form = SmsGatewayConfig(
        url=http_server.url("/f"),
        method="POST",
        headers={},
        body_template="userid=yhq&pwd=Form%2BPass99&mobile=${phone}&content=${text}",
        content_type="application/x-www-form-urlencoded",
    )
    recorded = send_sms(form, phone=PHONE, message=MESSAGE).request_body
    assert "Form" not in recorded and "pwd=***" in recorded and "mobile=13812345678" in recorded

    get = SmsGatewayConfig(
        url=http_server.url("/g?token=QueryToken77&m=${phone}&c=${text}"),
        method="GET",
        headers={},
        body_template="",
        content_type="text/plain",
    )
    recorded = send_sms(get, phone=PHONE, message=MESSAGE).request_body
    assert "QueryToken77" not in recorded and "token=***" in recorded
    assert http_server.last.query["token"] == ["QueryToken77"]


@pytest.mark.parametrize("phone", ["", "   ", "abc", "138 1234 5678", "1" * 30])
def test_an_invalid_phone_is_permanent_and_nothing_is_sent(
    http_server: FakeHttpServer, phone: str
) -> None:
    result = send_sms(json_config(http_server.url()), phone=phone, message=MESSAGE)

    assert (result.ok, result.permanent, result.status) == (False, True, None)
    assert "手机号码无效" in result.error
    assert http_server.requests == []


def test_a_valid_config_has_no_errors() -> None:
    assert json_config("http://sms.gov.local/send").validate() == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"body_template": '{"m": "${phone}", "c": "${content}"}'}, "未知的占位符 ${content}"),
        ({"body_template": '{"m": "${phone}", "c": ${text}}'}, "不是有效的 JSON"),
        ({"body_template": '{"m": "${phone}", "price": "$5", "c": "${text}"}'}, "$ 用法无效"),
        ({"body_template": '{"c": "${text}"}'}, "没有 ${phone}"),
        ({"body_template": '{"m": "${phone}"}'}, "没有 ${text} 或 ${title}"),
        ({"body_template": ""}, "POST 方式必须填写消息体模板"),
        ({"method": "PUT"}, "请求方式只能是 POST 或 GET"),
        ({"method": "GET"}, "GET 方式不发送消息体"),
        ({"content_type": "application/xml"}, "内容类型只能是"),
        ({"url": "sms.gov.local/send"}, "http://"),
        ({"url": "http://sms.gov.local/send?x=${who}"}, "未知的占位符 ${who}"),
        ({"headers": {"Content-Type": "application/json"}}, "Content-Type"),
        ({"headers": {"X-A": "a\r\nInjected: 1"}}, "换行"),
        ({"success_json_path": "result.code"}, "必须填写成功值"),
        ({"success_value": "0"}, "必须设置成功判定的 JSON 路径"),
        ({"success_json_path": "result..code", "success_value": "0"}, "JSON 路径无效"),
        ({"timeout": 0}, "超时时间"),
    ],
)
def test_validate_names_what_can_never_work(changes: dict[str, Any], expected: str) -> None:
    config = replace(json_config("http://sms.gov.local/send"), **changes)
    errors = config.validate()

    assert any(expected in e for e in errors), errors
    with pytest.raises(ValueError, match="."):
        send_sms(config, phone=PHONE, message=MESSAGE)


def test_a_literal_dollar_is_written_twice(http_server: FakeHttpServer) -> None:
    config = json_config(http_server.url(), body_template='{"m": "${phone}", "c": "$$${text}"}')
    assert config.validate() == []
    assert send_sms(config, phone=PHONE, message=Message(title="t", text="5元")).ok
    assert http_server.last.json() == {"m": PHONE, "c": "$5元"}

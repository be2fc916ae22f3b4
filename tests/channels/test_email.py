"""The SMTP sender against a local aiosmtpd server: the message as received, authentication,
TLS, and the classification of every refusal and failure."""

from __future__ import annotations

import email
from dataclasses import replace
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest

from liandong.channels import Message, SmtpConfig, send_email
from tests.channels.conftest import StartSmtp
from tests.channels.fakes import LocalController, SmtpHandler, closed_port, server_tls_context

TO = "zhiban@yhq.gov.cn"
PASSWORD = "Pa55-w0rd-xyz"
MESSAGE = Message(
    title="签收即将超时",
    text="警情 YH-0042「供热管道破裂」签收将在 10 分钟后超时。\n请尽快签收。",
)


def config_for(controller: LocalController, **changes: Any) -> SmtpConfig:
    config = SmtpConfig(
        "127.0.0.1", controller.port, security="none", sender="noreply@yhq.gov.cn", timeout=5
    )
    return replace(config, **changes)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def test_message_is_utf8_with_chinese_subject_and_sender_name(start_smtp: StartSmtp) -> None:
    controller, handler = start_smtp()
    result = send_email(config_for(controller), to=TO, message=MESSAGE)

    assert (result.ok, result.status, result.permanent, result.error) == (True, 250, False, "")
    [received] = handler.messages
    assert (received.mail_from, received.rcpt_tos) == ("noreply@yhq.gov.cn", [TO])
    assert received.content.isascii()  # encoded words and base64: any server takes it
    message = parsed(received.content)
    assert message["Subject"] == "签收即将超时"
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("区联动办", "noreply@yhq.gov.cn")
    assert message["To"].addresses[0].addr_spec == TO
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == MESSAGE.text
    assert message["Date"] and message["Message-ID"].endswith("@yhq.gov.cn>")
    assert "=?utf-8?" in received.content.decode("ascii")
    assert "签收即将超时" in result.request_body and MESSAGE.text in result.request_body


def test_a_newline_in_the_title_cannot_inject_headers(start_smtp: StartSmtp) -> None:
    controller, handler = start_smtp()
    message = Message(title="签收超时\r\nBcc: evil@example.com", text="正文")
    assert send_email(config_for(controller, sender_name="区 联动办"), to=TO, message=message).ok

    received = parsed(handler.messages[0].content)
    assert received["Subject"] == "签收超时 Bcc: evil@example.com"
    assert received["Bcc"] is None and handler.messages[0].rcpt_tos == [TO]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_authentication(start_smtp: StartSmtp, mechanism: str) -> None:
    handler = SmtpHandler(users={"yhq-notify": PASSWORD})
    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    controller, _ = start_smtp(handler, with_auth=True, auth_exclude_mechanism=[other])
    config = config_for(controller, username="yhq-notify", password=PASSWORD)
    result = send_email(config, to=TO, message=MESSAGE)

    assert result.ok, result
    assert handler.auth_mechanisms == [mechanism]
    assert handler.messages[0].login == "yhq-notify"
    assert PASSWORD not in result.request_body


def test_wrong_password_is_permanent_and_the_password_stays_secret(start_smtp: StartSmtp) -> None:
    handler = SmtpHandler(users={"yhq-notify": "the-real-one"})
    controller, _ = start_smtp(handler, with_auth=True)
    config = config_for(controller, username="yhq-notify", password=PASSWORD)
    result = send_email(config, to=TO, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, 535, True)
    assert "拒绝登录" in result.error
    assert PASSWORD not in result.error and PASSWORD not in result.request_body
    assert PASSWORD not in repr(config)
    assert handler.messages == []


def test_login_against_a_server_without_auth_is_permanent(start_smtp: StartSmtp) -> None:
    controller, _ = start_smtp()
    config = config_for(controller, username="u", password=PASSWORD)
    result = send_email(config, to=TO, message=MESSAGE)
    assert (result.ok, result.permanent) == (False, True)
    assert "不支持登录" in result.error and PASSWORD not in result.error


@pytest.mark.parametrize(
    ("refusal", "code", "permanent", "words"),
    [
        ({"rcpt_reply": "550 5.1.1 No such user"}, 550, True, "拒绝收件人"),
        ({"rcpt_reply": "450 4.2.1 Mailbox busy, try later"}, 450, False, "拒绝收件人"),
        ({"mail_reply": "553 5.7.1 Sender not allowed"}, 553, True, "拒绝发件地址"),
        ({"mail_reply": "451 4.3.0 Try again later"}, 451, False, "拒绝发件地址"),
        ({"data_reply": "554 5.7.1 Message rejected as spam"}, 554, True, "拒绝邮件内容"),
        ({"data_reply": "452 4.3.1 Insufficient storage"}, 452, False, "拒绝邮件内容"),
    ],
)
def test_refusals_are_classified_by_reply_code(
    start_smtp: StartSmtp, refusal: dict[str, str], code: int, permanent: bool, words: str
) -> None:
    controller, handler = start_smtp(SmtpHandler(**refusal))  # type: ignore[arg-type]
    result = send_email(config_for(controller), to=TO, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, code, permanent)
    assert words in result.error and str(code) in result.error
    assert result.request_body


def test_server_down_is_retried() -> None:
    config = SmtpConfig("127.0.0.1", closed_port(), security="none", sender="a@yhq.gov.cn")
    result = send_email(config, to=TO, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "无法连接" in result.error


def test_a_server_that_never_greets_times_out(silent_port: int) -> None:
    config = SmtpConfig(
        "127.0.0.1", silent_port, security="none", sender="a@yhq.gov.cn", timeout=0.5
    )
    result = send_email(config, to=TO, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "超时" in result.error and 400 <= result.duration_ms < 5000


def test_starttls_with_the_servers_ca(start_smtp: StartSmtp, tls_files: tuple[str, str]) -> None:
    handler = SmtpHandler(users={"yhq-notify": PASSWORD})
    controller, _ = start_smtp(
        handler,
        tls_context=server_tls_context(*tls_files),
        require_starttls=True,
        authenticator=handler.authenticator,
    )
    config = config_for(
        controller,
        security="starttls",
        ca_file=tls_files[0],
        username="yhq-notify",
        password=PASSWORD,
    )
    result = send_email(config, to=TO, message=MESSAGE)

    assert result.ok, result
    assert handler.messages[0].tls and handler.messages[0].login == "yhq-notify"


def test_implicit_tls(start_smtp: StartSmtp, tls_files: tuple[str, str]) -> None:
    controller, handler = start_smtp(ssl_context=server_tls_context(*tls_files))
    result = send_email(
        config_for(controller, security="ssl", ca_file=tls_files[0]), to=TO, message=MESSAGE
    )
    assert result.ok, result
    assert parsed(handler.messages[0].content)["Subject"] == "签收即将超时"


def test_an_untrusted_certificate_fails_and_sends_nothing(
    start_smtp: StartSmtp, tls_files: tuple[str, str]
) -> None:
    controller, handler = start_smtp(tls_context=server_tls_context(*tls_files))
    result = send_email(config_for(controller, security="starttls"), to=TO, message=MESSAGE)

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "证书" in result.error
    assert handler.messages == []


def test_starttls_against_a_server_without_it_is_permanent(start_smtp: StartSmtp) -> None:
    controller, handler = start_smtp()
    result = send_email(config_for(controller, security="starttls"), to=TO, message=MESSAGE)
    assert (result.ok, result.permanent) == (False, True)
    assert "不支持 STARTTLS" in result.error and handler.messages == []


def test_ssl_against_a_plain_server_is_retried(start_smtp: StartSmtp) -> None:
    controller, _ = start_smtp()
    result = send_email(config_for(controller, security="ssl", timeout=2), to=TO, message=MESSAGE)
    assert (result.ok, result.status, result.permanent) == (False, None, False)


@pytest.mark.parametrize("to", ["", "not-an-address", "a@b@c", "张三@yhq.gov.cn", "a@x\r\nb@y"])
def test_an_invalid_recipient_is_permanent_and_nothing_is_sent(
    start_smtp: StartSmtp, to: str
) -> None:
    controller, handler = start_smtp()
    result = send_email(config_for(controller), to=to, message=MESSAGE)
    assert (result.ok, result.permanent, result.status) == (False, True, None)
    assert "收件地址无效" in result.error and handler.messages == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"host": ""}, "邮件服务器地址"),
        ({"port": 0}, "端口"),
        ({"security": "tls"}, "加密方式"),
        ({"sender": "不是地址"}, "发件地址无效"),
        ({"sender_name": "区\n联动办"}, "换行"),
        ({"password": "x", "username": ""}, "必须填写用户名"),
        ({"username": "用户", "password": "x"}, "ASCII"),
        ({"ca_file": "/nonexistent/ca.pem"}, "CA 证书文件不存在"),
        ({"timeout": 0}, "超时"),
    ],
)
def test_validate(changes: dict[str, Any], expected: str) -> None:
    config = replace(
        SmtpConfig("mail.yhq.gov.cn", 587, security="starttls", sender="a@b.cn"), **changes
    )
    errors = config.validate()
    assert any(expected in e for e in errors), errors
    with pytest.raises(ValueError):
        send_email(config, to=TO, message=MESSAGE)


def test_a_good_config_validates() -> None:
    config = SmtpConfig("mail.yhq.gov.cn", 465, "u", "p", security="ssl", sender="a@yhq.gov.cn")
    assert config.validate() == [] and config.sender_name == "区联动办" and config.timeout == 10

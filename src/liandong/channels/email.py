"""E-mail through an SMTP server (stdlib `smtplib` and `email`).

The message is a UTF-8 `EmailMessage`: the Chinese subject and sender name are encoded words
(`=?utf-8?…?=`), the plain-text body is base64 (7-bit clean, so any server takes it). `security`
is "none" (plain, port 25), "starttls" (upgrade after connecting, port 587) or "ssl" (TLS from the
start, port 465). Certificates are verified against the system's CAs, or only against `ca_file`
when it is set (an intranet server's own CA).

Classification:
- authentication refused (5xx), a recipient or the sender refused (5xx), the message refused (5xx),
  the server lacking STARTTLS or AUTH that the config asks for: permanent;
- no connection, timeouts, the server closing the connection, TLS failures, and every 4xx reply
  (including a temporary authentication failure, 454): retried.
`status` is the SMTP reply code when there is one (250 on success), else None.

What is recorded (`request_body`): the sender, recipient, subject and text as read by a person;
never the password, which is also kept out of every error.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import KW_ONLY, dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from liandong.channels.base import Message, Result, Stopwatch, failure, raise_if_invalid, success

SECURITIES = ("none", "starttls", "ssl")
ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", re.ASCII
)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    _: KW_ONLY
    security: str  # "none" | "starttls" | "ssl"
    sender: str
    sender_name: str = "区联动办"
    timeout: float = 10
    #: A PEM file of the CA certificates to trust instead of the system's (intranet servers).
    ca_file: str = ""

    def validate(self) -> list[str]:
        """Chinese reasons why this server can never be used; empty when it can."""
        errors = []
        if not self.host.strip() or any(c.isspace() for c in self.host):
            errors.append("邮件服务器地址不能为空，也不能有空白字符")
        if not 0 < self.port < 65536:
            errors.append("邮件服务器端口必须在 1–65535 之间")
        if self.security not in SECURITIES:
            errors.append("加密方式只能是 none、starttls 或 ssl")
        if not ADDRESS.fullmatch(self.sender):
            errors.append("发件地址无效（只能是 ASCII 字符的邮件地址）")
        if "\r" in self.sender_name or "\n" in self.sender_name:
            errors.append("发件人名称中不能有换行")
        if self.password and not self.username:
            errors.append("填写了密码时必须填写用户名")
        if not (self.username + self.password).isascii():
            errors.append("用户名和密码只能包含 ASCII 字符")
        if self.ca_file and not Path(self.ca_file).is_file():
            errors.append(f"CA 证书文件不存在：{self.ca_file}")
        if not self.timeout > 0:
            errors.append("超时时间必须大于 0 秒")
        return errors


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_email(config: SmtpConfig, *, to: str, message: Message) -> EmailMessage:
    """The UTF-8 message for `to`: Chinese subject and sender name encoded, text body base64."""
    email = EmailMessage()
    email["Subject"] = _one_line(message.title)
    email["From"] = Address(display_name=_one_line(config.sender_name), addr_spec=config.sender)
    email["To"] = Address(addr_spec=to)
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = make_msgid(domain=config.sender.rsplit("@", 1)[1])
    email.set_content(message.text, charset="utf-8", cte="base64")
    return email


def readable(config: SmtpConfig, *, to: str, message: Message) -> str:
    """The message as a person reads it, for the stored attempt."""
    sender = f"{_one_line(config.sender_name)} <{config.sender}>"
    return f"From: {sender}\nTo: {to}\nSubject: {_one_line(message.title)}\n\n{message.text}"


def send_email(config: SmtpConfig, *, to: str, message: Message) -> Result:
    """Send `message` to `to`. Raises ValueError only for an unusable config."""
    raise_if_invalid(config.validate())
    watch = Stopwatch()
    to = to.strip()
    if not ADDRESS.fullmatch(to):
        return failure(f"收件地址无效：{to[:80]!r}", watch=watch, permanent=True)
    recorded = readable(config, to=to, message=message)
    secrets = [config.password]
    try:
        _deliver(config, build_email(config, to=to, message=message), to)
    except Exception as exc:  # a sender never raises for the network or the server
        error, permanent, status = classify_smtp_error(exc, to=to)
        return failure(
            error,
            watch=watch,
            permanent=permanent,
            status=status,
            request_body=recorded,
            secrets=secrets,
        )
    return success(watch=watch, status=250, request_body=recorded, secrets=secrets)


def _tls_context(config: SmtpConfig) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=config.ca_file or None)


def _deliver(config: SmtpConfig, email: EmailMessage, to: str) -> None:
    smtp: smtplib.SMTP
    if config.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=_tls_context(config)
        )
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        if config.security == "starttls":
            smtp.starttls(context=_tls_context(config))
        if config.username:
            smtp.login(config.username, config.password)
        smtp.send_message(email, from_addr=config.sender, to_addrs=[to])
    finally:
        # The message is sent (or not) already: a failing QUIT changes nothing.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _said(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else str(reply)


def _by_code(code: int) -> bool:
    """Permanent unless the reply is 4xx (transient) or not a reply code at all."""
    return 500 <= code < 600


def classify_smtp_error(exc: BaseException, *, to: str) -> tuple[str, bool, int | None]:
    """(Chinese error, permanent, SMTP reply code or None) for an exception out of smtplib."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()] or [0]
        said = "；".join(f"{c} {_said(m)}" for c, m in exc.recipients.values())
        return f"邮件服务器拒绝收件人 {to}：{said}", all(map(_by_code, codes)), codes[0] or None
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        code = exc.smtp_code
        return (
            f"邮件服务器拒绝登录（用户名或密码错误）：{code} {_said(exc.smtp_error)}",
            _by_code(code),
            code,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        code = exc.smtp_code
        return f"邮件服务器拒绝发件地址：{code} {_said(exc.smtp_error)}", _by_code(code), code
    if isinstance(exc, smtplib.SMTPDataError):
        code = exc.smtp_code
        return f"邮件服务器拒绝邮件内容：{code} {_said(exc.smtp_error)}", _by_code(code), code
    if isinstance(exc, smtplib.SMTPResponseException):  # HELO, greeting, other replies
        code = exc.smtp_code
        return f"邮件服务器应答错误：{code} {_said(exc.smtp_error)}", _by_code(code), code
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "STARTTLS" in str(exc):
            return "邮件服务器不支持 STARTTLS，请改用其他加密方式或端口", True, None
        if "AUTH" in str(exc):
            return "邮件服务器不支持登录（AUTH），请清空用户名和密码或改用其他端口", True, None
        return f"邮件服务器不支持所需的功能：{exc}", True, None
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a read that timed out as a disconnection; the timeout is its context.
        if isinstance(exc.__cause__ or exc.__context__, TimeoutError):
            return "邮件服务器应答超时", False, None
        return "邮件服务器断开了连接", False, None
    if isinstance(exc, smtplib.SMTPException):
        if "authentication method" in str(exc):
            return "邮件服务器不支持可用的登录方式", True, None
        return f"邮件发送失败：{exc}", False, None
    if isinstance(exc, TimeoutError):
        return "连接邮件服务器超时", False, None
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"邮件服务器证书验证失败：{exc.verify_message}", False, None
    if isinstance(exc, ssl.SSLError):
        return "与邮件服务器的 TLS 握手失败（加密方式或端口不符）", False, None
    if isinstance(exc, ConnectionRefusedError):
        return "无法连接邮件服务器（连接被拒绝）", False, None
    if isinstance(exc, socket.gaierror):
        return "邮件服务器地址无法解析", False, None
    if isinstance(exc, OSError):
        return f"无法连接邮件服务器（{type(exc).__name__}）", False, None
    return f"邮件发送失败（{type(exc).__name__}）", False, None

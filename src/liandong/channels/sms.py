"""SMS through a government SMS platform's HTTP gateway, described by configuration.

The request is rendered from templates (see `templating`): the URL (values URL-encoded; with GET
the placeholders go into its query) and, with POST, the body (values JSON-escaped inside a JSON
template such as `{"mobile": "${phone}", "content": "${text}"}`, form-encoded in a form template
such as `mobile=${phone}&content=${text}`, as they are in a text/plain one). `${timestamp}` is
Unix time in whole seconds. The body is UTF-8 and its Content-Type says so.

Success is HTTP 2xx AND, if `success_json_path` is set, the value at that dotted path of the JSON
answer (`result.code`; a number picks a list item), compared as a string (`0`, `true`, `OK`),
equals `success_value` AND, if `success_contains` is set, the answer's body contains it.

Classification:
- no answer (timeout, connection refused or cut), 5xx, 408, 429: retried;
- any other 4xx, or a 3xx (wrong address): permanent;
- 2xx whose success rule fails: retried (the gateway may have been briefly unable to send), unless
  the value at the JSON path is one of `permanent_values` (e.g. the gateway's code for an invalid
  number or a blocked account): then permanent. An invalid phone number is permanent without
  sending anything.

What is recorded (`request_body`): the rendered body (POST) or URL (GET), with every value under a
credential-looking name (password, pwd, secret, token, key, sign, auth…) in the JSON body, the form
body or the URL query, every credential-looking header's value, and every `secret_values` entry,
replaced by `***`, here and in errors. Headers are never recorded.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from liandong.channels import templating as tpl
from liandong.channels.base import Message, Result, Stopwatch, clip, failure, raise_if_invalid
from liandong.channels.base import success as succeeded
from liandong.channels.transport import HttpFailure, http_call, status_problem, url_problem

METHODS = ("POST", "GET")
PHONE = re.compile(r"\+?[0-9][0-9-]{2,19}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PATH = re.compile(r"[^.\s]+(\.[^.\s]+)*")


@dataclass(frozen=True)
class SmsGatewayConfig:
    url: str
    method: str  # "POST" | "GET"
    headers: dict[str, str]
    body_template: str
    content_type: str  # "application/json" | "application/x-www-form-urlencoded" | "text/plain"
    success_json_path: str = ""
    success_value: str = ""
    success_contains: str = ""
    timeout: float = 10
    #: Values at `success_json_path` meaning retrying cannot help (invalid number, blocked account).
    permanent_values: tuple[str, ...] = ()
    #: Further strings never to be recorded (e.g. a password written into the template as it is).
    secret_values: tuple[str, ...] = field(default=(), repr=False)

    def validate(self) -> list[str]:
        """Chinese reasons why this gateway can never work; empty when it can."""
        errors: list[str] = []
        if self.method not in METHODS:
            errors.append("请求方式只能是 POST 或 GET")
        if self.content_type not in tpl.CONTENT_TYPES:
            errors.append("内容类型只能是 " + "、".join(tpl.CONTENT_TYPES))
        errors += self._template_errors()
        errors += self._header_errors()
        errors += self._rule_errors()
        if not self.timeout > 0:
            errors.append("超时时间必须大于 0 秒")
        return errors

    def _template_errors(self) -> list[str]:
        errors = tpl.template_problems(self.url, "网关地址")
        if not errors:
            rendered_url = tpl.render(self.url, tpl.SAMPLE_VALUES, tpl.url_escape)
            problem = url_problem(rendered_url, "网关地址")
            errors += [problem] if problem else []
        body_errors = tpl.template_problems(self.body_template, "消息体模板")
        errors += body_errors
        if self.method == "GET" and self.body_template.strip():
            errors.append(
                "GET 方式不发送消息体：请把占位符写在网关地址的查询参数中，消息体模板留空"
            )
        if self.method == "POST" and not self.body_template.strip():
            errors.append("POST 方式必须填写消息体模板")
        if (
            self.method == "POST"
            and self.content_type == tpl.JSON
            and self.body_template.strip()
            and not body_errors
        ):
            sample = tpl.render(self.body_template, tpl.SAMPLE_VALUES, tpl.json_escape)
            try:
                json.loads(sample)
            except ValueError as exc:
                errors.append(
                    f"消息体模板填入内容后不是有效的 JSON（{exc}）；字符串占位符要写在引号中，"
                    '如 "${text}"'
                )
        used = tpl.placeholders_in(self.url)
        if self.method == "POST":
            used |= tpl.placeholders_in(self.body_template)
        if "phone" not in used:
            errors.append("模板中没有 ${phone}，短信无法发到号码")
        if not used & {"text", "title"}:
            errors.append("模板中没有 ${text} 或 ${title}，短信没有内容")
        return errors

    def _header_errors(self) -> list[str]:
        errors = []
        for name, value in self.headers.items():
            if not _HEADER_NAME.fullmatch(name):
                errors.append(f"请求头名称无效：{name!r}")
            elif name.lower() == "content-type":
                errors.append("Content-Type 由“内容类型”决定，请不要写在请求头中")
            if "\r" in value or "\n" in value:
                errors.append(f"请求头 {name} 的值中不能有换行")
        return errors

    def _rule_errors(self) -> list[str]:
        errors = []
        if self.success_json_path and not _PATH.fullmatch(self.success_json_path):
            errors.append("成功判定的 JSON 路径无效（写作 result.code 这样以点分隔的名称）")
        if self.success_json_path and not self.success_value:
            errors.append("设置了成功判定的 JSON 路径时必须填写成功值")
        if self.success_value and not self.success_json_path:
            errors.append("填写了成功值时必须设置成功判定的 JSON 路径")
        if self.permanent_values and not self.success_json_path:
            errors.append("填写了不可重试的应答值时必须设置成功判定的 JSON 路径")
        return errors

    def header_secrets(self) -> list[str]:
        """Values of credential-looking headers, and their credentials without a scheme word
        ("Bearer x" also hides "x")."""
        found = []
        for name, value in self.headers.items():
            if tpl.is_credential_name(name) and value.strip():
                found += [value, value.strip().split(None, 1)[-1]]
        return found


def send_sms(
    config: SmsGatewayConfig, *, phone: str, message: Message, now: float | None = None
) -> Result:
    """Send `message` to `phone` through the gateway. `now` (Unix time) fills `${timestamp}`.
    Raises ValueError only for an unusable config."""
    raise_if_invalid(config.validate())
    watch = Stopwatch()
    phone = phone.strip()
    if not PHONE.fullmatch(phone):
        return failure(f"手机号码无效：{clip(phone, 40)!r}", watch=watch, permanent=True)
    values = {
        "phone": phone,
        "text": message.text,
        "title": message.title,
        "timestamp": str(int(time.time() if now is None else now)),
    }
    url = tpl.render(config.url, values, tpl.url_escape)
    headers = dict(config.headers)
    body = ""
    if config.method == "POST":
        body = tpl.render(config.body_template, values, tpl.BODY_ESCAPES[config.content_type])
        headers["Content-Type"] = f"{config.content_type}; charset=utf-8"
    secrets = [
        *tpl.forms_of([*config.secret_values, *config.header_secrets()]),
        *tpl.credentials_in(body=body, content_type=config.content_type, url=url),
    ]
    recorded = body if config.method == "POST" else url

    def failed(error: str, *, permanent: bool, status: int | None = None) -> Result:
        return failure(
            error,
            watch=watch,
            permanent=permanent,
            status=status,
            request_body=recorded,
            secrets=secrets,
        )

    answer = http_call(
        config.method,
        url,
        headers=headers,
        body=body.encode("utf-8") if config.method == "POST" else None,
        timeout=config.timeout,
    )
    if isinstance(answer, HttpFailure):
        return failed(answer.error, permanent=False)
    problem = status_problem(answer.status, answer.text)
    if problem is not None:
        return failed(problem[0], permanent=problem[1], status=answer.status)
    verdict = judge_answer(config, answer.text)
    if verdict is not None:
        return failed(verdict[0], permanent=verdict[1], status=answer.status)
    return succeeded(watch=watch, status=answer.status, request_body=recorded, secrets=secrets)


def judge_answer(config: SmsGatewayConfig, text: str) -> tuple[str, bool] | None:
    """For a 2xx answer: None when the success rule holds, else (error, permanent)."""
    said = clip(text, 300)
    if config.success_json_path:
        try:
            data = json.loads(text)
        except ValueError:
            return f"短信网关应答不是 JSON：{said}", False
        found, value = json_path(data, config.success_json_path)
        if not found:
            return f"短信网关应答中没有 {config.success_json_path}：{said}", False
        actual = value_text(value)
        if actual != config.success_value:
            permanent = actual in config.permanent_values
            return f"短信网关未确认成功（{config.success_json_path} = {actual}）：{said}", permanent
    if config.success_contains and config.success_contains not in text:
        return f"短信网关应答中没有“{config.success_contains}”：{said}", False
    return None


def json_path(data: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path; a numeric step indexes a list."""
    for step in path.split("."):
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif (
            isinstance(data, list)
            and step.lstrip("-").isdigit()
            and -len(data) <= int(step) < len(data)
        ):
            data = data[int(step)]
        else:
            return False, None
    return True, data


def value_text(value: Any) -> str:
    """A JSON value as the string a success value is compared with: strings as they are, every
    other value as JSON (`0`, `true`, `null`, `{"a":1}`)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

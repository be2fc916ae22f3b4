"""The SMS gateway's templates: `string.Template` text with `${phone}`, `${text}`, `${title}` and
`${timestamp}`, each value escaped for where it lands; and what of a rendered request may be
recorded (credential-looking fields hidden).

A literal `$` in a template is written `$$`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from string import Template
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

PLACEHOLDERS = ("phone", "text", "title", "timestamp")

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PLAIN = "text/plain"
CONTENT_TYPES = (JSON, FORM, PLAIN)

#: Sample values that exercise every escape: quotes, backslash, newline, tab, `&`, `=`, Chinese.
SAMPLE_VALUES = {
    "phone": "13800000000",
    "text": '测试"引号"\\反斜杠\n换行\t& = + % #',
    "title": "标题\"'",
    "timestamp": "1700000000",
}

#: Names (lower-cased, without `_`/`-`) ending like these hold credentials: their values are
#: hidden wherever a request is recorded.
_CREDENTIAL_ENDINGS = (
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "token",
    "key",
    "sign",
    "signature",
    "auth",
    "authorization",
    "credential",
    "credentials",
)
#: A value found under such a name is hidden only from this length on (a short one is no secret,
#: and hiding "1" everywhere would hide half the message).
_MIN_HIDDEN = 4


def template_problems(template: str, label: str) -> list[str]:
    """Chinese reasons why `template` cannot be rendered (bad `$`, unknown placeholder)."""
    parsed = Template(template)
    if not parsed.is_valid():
        return [f"{label}中的 $ 用法无效（占位符写作 ${{phone}}，字面的 $ 写作 $$）"]
    unknown = [name for name in parsed.get_identifiers() if name not in PLACEHOLDERS]
    if unknown:
        allowed = "、".join(f"${{{p}}}" for p in PLACEHOLDERS)
        names = "、".join(f"${{{n}}}" for n in unknown)
        return [f"{label}中有未知的占位符 {names}（只能用 {allowed}）"]
    return []


def placeholders_in(template: str) -> set[str]:
    parsed = Template(template)
    return set(parsed.get_identifiers()) if parsed.is_valid() else set()


def json_escape(value: str) -> str:
    """`value` as the inside of a JSON string: quotes, backslashes and control characters
    escaped, Chinese kept (the body is UTF-8)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def form_escape(value: str) -> str:
    """`value` form-encoded (UTF-8, space as `+`)."""
    return quote_plus(value, safe="")


def url_escape(value: str) -> str:
    """`value` percent-encoded for a URL's query (UTF-8, space as `%20`)."""
    return quote(value, safe="")


BODY_ESCAPES: dict[str, Callable[[str], str]] = {
    JSON: json_escape,
    FORM: form_escape,
    PLAIN: lambda value: value,
}


def render(template: str, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
    """`template` with each placeholder replaced by its escaped value. The template must have
    passed `template_problems` (it raises KeyError/ValueError otherwise)."""
    return Template(template).substitute({k: escape(v) for k, v in values.items()})


def is_credential_name(name: str) -> bool:
    plain = re.sub(r"[^a-z0-9]", "", name.lower())
    return plain.endswith(_CREDENTIAL_ENDINGS)


def _hidden(value: Any) -> list[str]:
    if isinstance(value, bool) or value is None:
        return []
    text = value if isinstance(value, str) else str(value)
    return [text] if len(text) >= _MIN_HIDDEN else []


def _json_credentials(data: Any) -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if is_credential_name(str(key)) and not isinstance(value, dict | list):
                found += _hidden(value)
            else:
                found += _json_credentials(value)
    elif isinstance(data, list):
        for item in data:
            found += _json_credentials(item)
    return found


def _query_credentials(query: str) -> list[str]:
    found: list[str] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if is_credential_name(key):
            found += _hidden(value)
    return found


def credentials_in(*, body: str, content_type: str, url: str) -> list[str]:
    """The values under credential-looking names in a rendered body (JSON or form) and in the
    URL's query, each in every form it may take in the recorded text (raw, JSON- and
    form-escaped)."""
    values: list[str] = _query_credentials(urlsplit(url).query)
    if content_type == JSON:
        with contextlib.suppress(ValueError):
            values += _json_credentials(json.loads(body))
    elif content_type == FORM:
        values += _query_credentials(body)
    return forms_of(values)


def forms_of(values: Iterable[str]) -> list[str]:
    """Each value as it is, JSON-escaped, form-encoded and URL-encoded."""
    forms: list[str] = []
    for value in values:
        if value:
            forms += [value, json_escape(value), form_escape(value), url_escape(value)]
    return forms

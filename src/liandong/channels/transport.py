"""One HTTP request with `requests`, turned into an answer or a classified failure; and the JSON
group robots' common send (WeCom and DingTalk answer alike: HTTP 200 with an `errcode`).

Redirects are not followed: a webhook that answers 3xx is a wrong address (a POST followed to a
GET would silently lose the message). Error texts are our own Chinese sentences, never an
exception's text: requests puts the full URL, with its key or token, into its messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from liandong.channels.base import Result, Stopwatch, clip, failure, success

#: The most of an answer's body that is read; the rest is dropped.
MAX_ANSWER_BYTES = 256 * 1024

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    text: str


@dataclass(frozen=True)
class HttpFailure:
    """No HTTP answer at all: a timeout or a connection error. Always worth retrying."""

    error: str


def http_call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float,
) -> HttpAnswer | HttpFailure:
    """Send one request; an answer of any status, or the reason there was none. Never raises."""
    try:
        with requests.request(
            method,
            url,
            headers=dict(headers),
            data=body,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            return HttpAnswer(response.status_code, _read_text(response))
    except requests.Timeout:
        return HttpFailure(f"请求超时（{timeout:g} 秒内没有应答）")
    except requests.exceptions.SSLError:
        return HttpFailure("TLS 握手失败（证书或加密设置不符）")
    except requests.ConnectionError:
        return HttpFailure("无法连接到服务器（连接被拒绝、中断或地址无法解析）")
    except Exception as exc:  # a sender never raises for the network: anything else is a failure
        return HttpFailure(f"请求失败（{type(exc).__name__}）")


def _read_text(response: requests.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=16 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ANSWER_BYTES:
            break
    raw = b"".join(chunks)[:MAX_ANSWER_BYTES]
    match = re.search(r"charset=[\"']?([\w.:-]+)", response.headers.get("Content-Type", ""), re.I)
    charset = match.group(1) if match else "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def status_problem(status: int, text: str) -> tuple[str, bool] | None:
    """For a non-2xx status: (error, permanent). None for 2xx.

    5xx, 408 and 429 are worth retrying; any other 4xx is not (bad key, bad request, gone); nor is
    a 3xx (the address is wrong). 1xx cannot reach here through requests; it would be retried.
    """
    if 200 <= status < 300:
        return None
    said = clip(text, 300)
    detail = f"：{said}" if said else ""
    if status >= 500 or status in (408, 429) or status < 200:
        return f"HTTP {status}，服务器暂时无法处理{detail}", False
    if 300 <= status < 400:
        return f"HTTP {status}，服务器要求重定向，请检查地址{detail}", True
    return f"HTTP {status}，请求被拒绝{detail}", True


def url_problem(url: str, label: str = "地址") -> str | None:
    """A Chinese reason why `url` cannot be an HTTP(S) address, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{label}无效"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{label}必须是以 http:// 或 https:// 开头的完整网址"
    if any(c.isspace() for c in url):
        return f"{label}中不能有空白字符"
    return None


def dump_json(payload: Any) -> str:
    """Compact JSON with Chinese kept as it is (sent as UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def send_robot(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    robot: str,
    retryable_codes: Iterable[int],
    hints: Mapping[int, str],
    secrets: Iterable[str] = (),
) -> Result:
    """POST `payload` as JSON to a group robot and read its `{"errcode", "errmsg"}` answer.

    errcode 0 is success; a code in `retryable_codes` (rate limit, busy) is worth retrying; any
    other code is permanent (bad key, bad signature, bad message). A 2xx answer that is not such
    JSON (an intranet proxy's error page, say) is retried.
    """
    watch = Stopwatch()
    body = dump_json(payload)
    secrets = tuple(secrets)

    def failed(error: str, *, permanent: bool, status: int | None = None) -> Result:
        return failure(
            error,
            watch=watch,
            permanent=permanent,
            status=status,
            request_body=body,
            secrets=secrets,
        )

    answer = http_call(
        "POST",
        url,
        headers={"Content-Type": JSON_CONTENT_TYPE},
        body=body.encode("utf-8"),
        timeout=timeout,
    )
    if isinstance(answer, HttpFailure):
        return failed(answer.error, permanent=False)
    problem = status_problem(answer.status, answer.text)
    if problem is not None:
        return failed(problem[0], permanent=problem[1], status=answer.status)
    try:
        data = json.loads(answer.text)
        code = int(data["errcode"])
    except (ValueError, TypeError, KeyError):
        said = clip(answer.text, 300)
        return failed(f"{robot}应答无法识别：{said}", permanent=False, status=answer.status)
    if code == 0:
        return success(watch=watch, status=answer.status, request_body=body, secrets=secrets)
    errmsg = str(data.get("errmsg", "")) if isinstance(data, dict) else ""
    hint = hints.get(code, "")
    reason = f"{robot}返回错误 {code}" + (f"（{hint}）" if hint else "") + f"：{errmsg}"
    return failed(reason, permanent=code not in set(retryable_codes), status=answer.status)

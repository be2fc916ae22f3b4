"""Issue 11, findings 7, 8, 13 (part) and 14, each as the attack or the audit that found it:
`check --deploy` with the documented production settings, TLS behind the proxy, host names,
sessions that end, the Content-Security-Policy, non-object JSON bodies, the API's documented errors
and the dependency lock."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import tomllib
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client

from liandong import clock
from liandong.accounts.models import Role
from tests.citylink.procs import LIANDONG, Proc, free_port, process_env, wait_until
from tests.factories import UserFactory, dispatched, instruction_of, unit, unit_user

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "security-settings.md"
HOST = "liandong.yuhong.gov.cn"


# --- check --deploy with the documented production environment (finding 7) -------------------------


def documented_environment() -> dict[str, str]:
    """The environment of docs/security-settings.md's first code block, with fresh random keys."""
    block = DOCS.read_text(encoding="utf-8").split("```sh", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            name, value = line.split("=", 1)
            env[name] = value.strip().strip('"')
    for name in ("LIANDONG_SECRET_KEY", "LIANDONG_SECRETS_KEY"):
        assert env[name] == "…", name  # the documentation shows no key
        env[name] = secrets.token_urlsafe(50)
    return env


def check_deploy(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = process_env(home)
    base.pop("LIANDONG_ALLOW_DEVELOPMENT_KEYS")
    base.update(env)
    return subprocess.run(
        [LIANDONG, "check", "--deploy"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    env = documented_environment()
    assert env["LIANDONG_HTTPS"] == "1" and env["LIANDONG_ALLOWED_HOSTS"] == HOST

    done = check_deploy(tmp_path, **env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "identified no issues" in done.stdout, done.stdout + done.stderr
    assert not re.search(r"\((security|liandong)\.[WE]\d+\)", done.stdout + done.stderr)


def test_check_deploy_names_the_missing_keys_and_tls_and_no_setting_hides_them(tmp_path):
    """Plain HTTP on the development keys: every warning stays, the keys are errors (exit 1), and
    the switches for proxies do not silence anything without LIANDONG_HTTPS=1."""
    done = check_deploy(tmp_path, LIANDONG_SSL_REDIRECT="0", LIANDONG_HSTS_SECONDS="0")

    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    for check in ("liandong.E001", "liandong.E002", "liandong.W003", "security.W004"):
        assert f"({check})" in out, check
    for check in ("security.W008", "security.W009", "security.W012", "security.W016"):
        assert f"({check})" in out, check


def test_a_warning_is_silenced_only_by_the_setting_that_makes_it_not_apply(tmp_path):
    env = documented_environment()
    env.pop("LIANDONG_HSTS_PRELOAD")  # the operator has not decided about preloading
    env["LIANDONG_SSL_REDIRECT"] = "0"  # the proxy redirects HTTP itself

    done = check_deploy(tmp_path, **env)
    out = done.stdout + done.stderr

    assert "(security.W021)" in out
    assert "(security.W008)" not in out


# --- TLS behind the proxy, host names ----------------------------------------------------------


def production_server(home: Path, **extra: str) -> tuple[Proc, str]:
    env = documented_environment()
    env.update(extra)
    from tests.citylink.procs import run_command

    run_command(home, "migrate", "--noinput", **env)
    port = free_port()
    server = Proc(home, "serve", "serve", "--host", "127.0.0.1", "--port", str(port), **env)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        server.check_alive()
        try:
            return requests.get(f"{url}/healthz", headers={"Host": HOST}, timeout=2).ok
        except requests.RequestException:
            return False

    wait_until(healthy, timeout=30, what="the production server")
    return server, url


def test_behind_the_proxy_http_is_redirected_and_only_the_trusted_proxy_may_say_https(tmp_path):
    """The proxy at 127.0.0.1 says HTTPS: served with HSTS and secure cookies. Nobody says it:
    redirected to https://. A client that is not the proxy claims HTTPS: still redirected."""
    server, url = production_server(tmp_path)
    try:
        plain = requests.get(f"{url}/login/", headers={"Host": HOST}, allow_redirects=False)
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"https://{HOST}/login/"

        proxied = requests.get(
            f"{url}/login/",
            headers={"Host": HOST, "X-Forwarded-Proto": "https"},
            allow_redirects=False,
        )
        assert proxied.status_code == 200, proxied.text[:300]
        assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "Secure" in proxied.headers["Set-Cookie"]
        assert "script-src 'self'" in proxied.headers["Content-Security-Policy"]

        stranger = requests.get(
            f"{url}/login/", headers={"Host": "evil.example"}, allow_redirects=False
        )
        assert stranger.status_code == 400  # not one of LIANDONG_ALLOWED_HOSTS
    finally:
        server.kill()

    other = tmp_path / "untrusted"
    other.mkdir()
    server, url = production_server(other, LIANDONG_TRUSTED_PROXY="10.9.9.9")
    try:
        spoofed = requests.get(
            f"{url}/login/",
            headers={"Host": HOST, "X-Forwarded-Proto": "https"},
            allow_redirects=False,
        )
        assert spoofed.status_code == 301  # 127.0.0.1 is not the proxy: its header is dropped
    finally:
        server.kill()


def test_the_default_host_names_are_this_machine_only(db):
    from django.conf import settings

    assert "*" not in settings.ALLOWED_HOSTS
    assert {"localhost", "127.0.0.1", "[::1]"} <= set(settings.ALLOWED_HOSTS)
    assert Client().get("/healthz", HTTP_HOST="evil.example").status_code == 400
    assert Client().get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200


# --- sessions end (finding 8) -------------------------------------------------------------------

START = "2026-12-01T09:00:00+08:00"


@pytest.fixture(autouse=True)
def _session_time_limits(settings: Any) -> None:
    """The installation's defaults (the rest of the suite runs without them: tests/conftest.py)."""
    settings.LIANDONG_SESSION_IDLE_MINUTES = 30
    settings.LIANDONG_SESSION_MAX_HOURS = 12


def signed_in(role: str = Role.DISPATCHER) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def test_a_session_ends_after_30_minutes_without_the_persons_own_requests(db, frozen_at):
    frozen_at(START)
    client = signed_in()
    assert client.get("/console/").status_code == 200
    clock.advance(timedelta(minutes=29))
    assert client.get("/console/").status_code == 200  # activity: the half hour starts again
    clock.advance(timedelta(minutes=29))
    assert client.get("/console/stats/").status_code == 200

    clock.advance(timedelta(minutes=31))
    ended = client.get("/console/")

    assert ended.status_code == 302
    assert ended["Location"] == "/login/?next=/console/"
    login = client.get(ended["Location"])
    assert "您已超过30分钟未操作" in login.content.decode()
    assert client.get("/console/").status_code == 302  # signed out for good
    assert client.get("/api/v1/me").status_code == 401


def test_the_pages_polling_does_not_keep_a_session_alive(db, frozen_at):
    """An open console polls every second; that is not the person working."""
    frozen_at(START)
    client = signed_in()
    assert client.get("/console/").status_code == 200
    for _ in range(6):
        clock.advance(timedelta(minutes=5))
        for poll in ("/live", "/console/live", "/console/board", "/api/v1/stats/overview"):
            assert client.get(poll).status_code in (200, 403), poll

    clock.advance(timedelta(minutes=1))
    poll = client.get("/console/live", HTTP_ACCEPT="application/json")

    assert poll.status_code == 401
    assert poll["X-Liandong-Session"] == "expired"  # app.js reloads onto the login page
    assert poll.json()["error"]["code"] == "session_expired"
    assert "未操作" in poll.json()["error"]["message"]
    assert client.get("/console/").status_code == 302


def test_a_session_ends_12_hours_after_signing_in_however_busy(db, frozen_at):
    frozen_at(START)
    client = signed_in()
    for _ in range(37):  # a request every 20 minutes: 12 hours and more
        assert client.get("/console/").status_code == 200
        clock.advance(timedelta(minutes=20))

    ended = client.get("/console/")

    assert ended.status_code == 302
    assert "12小时" in client.get(ended["Location"]).content.decode()


def test_an_expired_session_on_the_api_is_401_in_chinese(db, frozen_at):
    frozen_at(START)
    client = signed_in()
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=31))

    answer = client.post("/api/v1/notifications/read", {}, content_type="application/json")

    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "请先登录或提供有效的API令牌"


def test_the_session_cookie_ends_with_the_browser_and_lives_12_hours_at_most(db, frozen_at):
    from django.conf import settings

    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    frozen_at(START)
    client = signed_in()
    clock.advance(timedelta(minutes=2))
    response = client.get("/console/")  # the activity is written: the cookie is sent again
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]
    assert cookie["httponly"]


# --- Content-Security-Policy, no inline scripts (finding 7) ----------------------------------------

TEMPLATES = ROOT / "src" / "liandong"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def inline_code(html: str) -> list[str]:
    return [m.group(0)[:120] for p in (INLINE_SCRIPT, HANDLER, JS_URL) for m in p.finditer(html)]


def test_no_template_has_an_inline_script_an_event_handler_or_a_javascript_url():
    found = {
        str(path.relative_to(TEMPLATES)): inline_code(path.read_text(encoding="utf-8"))
        for path in TEMPLATES.rglob("*.html")
    }
    assert not {k: v for k, v in found.items() if v}


def screens(db: Any) -> dict[str, list[str]]:
    """Who opens which screens: every main screen of the product, the admin and the API docs."""
    d = UserFactory(role=Role.DISPATCHER)
    incident = dispatched(by=d)
    housing = instruction_of(incident, "housing")
    return {
        "dispatcher": [
            "/console/",
            "/console/incidents/",
            f"/console/incidents/{incident.incident_id}/",
            "/console/incidents/new",
            "/console/decisions/",
            "/console/city-reports/",
            "/console/stats/",
            "/console/bulletins/",
            "/console/supervision/",
            "/overview/",
            "/notifications/",
            "/help/",
        ],
        "officer": ["/unit/", f"/unit/instructions/{housing.pk}/"],
        "leader": ["/unit/approvals/", "/unit/supervision/"],
        "admin": [
            "/",
            "/admin/",
            "/admin/accounts/user/",
            "/admin/accounts/user/add/",
            "/admin/units/unit/",
            f"/admin/units/unit/{unit('housing').pk}/change/",
        ],
        "anonymous": ["/login/", "/api/v1/docs", "/api/city/v1/docs", "/no-such-page/"],
    }


def test_every_screen_has_the_policy_and_no_inline_code(db):
    clients = {
        "dispatcher": signed_in(),
        "officer": Client(),
        "leader": Client(),
        "admin": Client(),
        "anonymous": Client(),
    }
    clients["officer"].force_login(unit_user("housing"))
    clients["leader"].force_login(unit_user("housing", Role.UNIT_LEADER))
    clients["admin"].force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    opened = 0
    for who, paths in screens(db).items():
        for path in paths:
            response = clients[who].get(path)
            assert response.status_code in (200, 404), (who, path, response.status_code)
            policy = response["Content-Security-Policy"]
            assert "script-src 'self';" in policy
            assert "'unsafe-eval'" not in policy and "object-src 'none'" in policy
            assert "frame-ancestors 'none'" in policy
            assert not inline_code(response.content.decode()), (who, path)
            opened += 1
    assert opened >= 25
    script_src = [d.strip() for d in policy.split(";") if d.strip().startswith("script-src")]
    assert script_src == ["script-src 'self'"]


def test_json_and_files_carry_the_policy_too(db):
    client = signed_in()
    for path in ("/api/v1/me", "/healthz", "/live"):
        assert "default-src 'self'" in client.get(path)["Content-Security-Policy"], path


# --- non-object JSON bodies are refused (finding 13) -----------------------------------------------


def json_operations() -> list[tuple[str, str]]:
    document = Client().get("/api/v1/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                concrete = re.sub(r"\{(\w+)\}", lambda m: "1", path)
                found.append((method, concrete))
    return found


@pytest.mark.parametrize("body", ["[]", '"x"', "null", "1", "true", '[{"reason": "x"}]'])
def test_every_operation_with_a_json_body_refuses_a_body_that_is_not_an_object(db, body):
    client = signed_in(Role.ADMIN)
    operations = json_operations()
    assert len(operations) >= 25

    for method, path in operations:
        answer = getattr(client, method)(path, data=body, content_type="application/json")

        assert answer.status_code == 422, (method, path, answer.content)
        error = answer.json()["error"]
        assert error["message"] == "请求体应为JSON对象", (method, path)
        assert error["fields"] == [
            {
                "field": "body",
                "code": "invalid_type",
                "message": "body：请求体应为JSON对象（{...}）",
            }
        ]


def test_a_malformed_json_body_is_400_in_chinese(db):
    answer = signed_in().post(
        "/api/v1/notifications/read", data="{oops", content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": "malformed_json",
        "message": "请求体不是有效的JSON",
        "fields": [],
    }


def test_every_operation_documents_its_errors(db):
    """Lists included: 401 not signed in, 403 not allowed, 404 not found, 422 bad input."""
    document = Client().get("/api/v1/openapi.json").json()
    missing = {
        f"{method.upper()} {path}": sorted({"401", "403", "404", "422"} - set(op["responses"]))
        for path, item in document["paths"].items()
        for method, op in item.items()
        if {"401", "403", "404", "422"} - set(op["responses"])
    }
    assert not missing
    error = document["paths"]["/api/v1/incidents"]["get"]["responses"]["403"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


# --- the dependency lock (finding 14) ------------------------------------------------------------


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"not an exact pin: {line}"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_the_lock_pins_every_dependency_exactly_as_installed():
    pins = locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for requirement in declared:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0]
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert key in pins, f"{name} is not in requirements.lock"
        assert metadata.version(name) == pins[key], f"{name}: installed ≠ locked"
    for command in (ROOT / "README.md", ROOT / ".ci" / "run"):
        text = command.read_text()
        assert "pip install -q -c requirements.lock -e '.[test]'" in text, command
    assert json.dumps(pins)  # readable

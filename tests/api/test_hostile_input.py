"""Hostile input answered with a clear 4xx, never a 500 (issue 11, finding 9)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import office_user


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/incidents",
        "/api/v1/instructions",
        "/api/v1/notifications",
        "/api/v1/supervision-orders",
    ],
)
@pytest.mark.parametrize("offset", ["9223372036854775808", "-1", "1000001", "abc"])
def test_an_impossible_offset_is_refused_not_a_server_error(db, path, offset):
    client = Client()
    client.force_login(office_user())
    answer = client.get(path, {"offset": offset})
    assert answer.status_code == 422, (path, offset, answer.status_code)
    assert answer.json()["error"]["code"]


def test_the_largest_offset_still_answers(db):
    client = Client()
    client.force_login(office_user())
    answer = client.get("/api/v1/incidents", {"offset": "1000000"})
    assert answer.status_code == 200 and answer.json()["items"] == []


def test_a_multipart_upload_without_a_boundary_is_a_bad_request(db, frozen_at):
    from liandong.incidents import actions
    from tests.factories import dispatched, instruction_of, unit_user

    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched()
    officer = unit_user("housing")
    inst = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=officer, instruction=inst)
    client = Client()
    client.force_login(officer)
    answer = client.generic(
        "POST",
        f"/api/v1/instructions/{inst.pk}/attachments",
        b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--\r\n',
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400, answer.status_code
    assert answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\\\evil.example", "javascript:alert(1)"],
)
def test_a_form_never_sends_the_user_off_site(db, frozen_at, target):
    from tests.factories import dispatched, instruction_of

    frozen_at("2026-11-30T09:00:00+08:00")
    office = office_user()
    incident = dispatched(by=office)
    inst = instruction_of(incident, "housing")
    client = Client()
    client.force_login(office)
    urge = client.post(f"/console/instructions/{inst.pk}/urge", {"note": "快", "next": target})
    decide = client.post("/console/decisions/extension/999999", {"next": target})
    for answer in (urge, decide):
        location = answer.get("Location", "")
        assert answer.status_code in (302, 404), answer.status_code
        assert "evil" not in location and not location.startswith(("javascript", "//", "http"))


def test_an_anonymous_or_bad_token_post_is_unauthenticated_in_chinese(db):
    anonymous = Client(enforce_csrf_checks=True)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer not-a-token"}):
        answer = anonymous.post(
            "/api/v1/instructions/1/sign", {}, content_type="application/json", **headers
        )
        assert answer.status_code == 401, answer.content
        assert answer.json()["error"]["message"] == "请先登录或提供有效的API令牌"


def test_a_signed_in_post_without_its_csrf_token_is_refused_in_chinese(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(office_user())
    answer = client.post("/api/v1/instructions/1/sign", {}, content_type="application/json")
    assert answer.status_code == 403
    assert "CSRF校验未通过" in answer.json()["error"]["message"]


def test_the_demo_refuses_any_database_but_its_own(monkeypatch, capsys):
    from liandong import cli

    monkeypatch.setenv("LIANDONG_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/production")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["demo", "--port", "0"])
    assert "只使用自带的 SQLite 演示数据库" in str(stopped.value.code)


def test_uploaded_files_are_never_served_by_path_even_in_demo_mode(db, settings, frozen_at):
    """Finding 12: files go out only through the gate (the attachment download checks who asks)."""
    import importlib

    from django.urls import clear_url_caches

    import liandong.urls
    from liandong.incidents import actions
    from tests.factories import dispatched, instruction_of, unit_user

    settings.DEBUG = True  # as in `liandong demo`: the URLs built again under it
    importlib.reload(liandong.urls)
    clear_url_caches()
    frozen_at("2026-11-30T09:00:00+08:00")
    incident = dispatched()
    officer = unit_user("housing")
    inst = instruction_of(incident, "housing")
    actions.do_sign_instruction(actor=officer, instruction=inst)
    from tests.factories import image_bytes

    png = image_bytes()
    attachment = actions.do_upload_attachment(
        actor=officer, instruction=inst, name="a.png", content_type="image/png", data=png
    )
    from pathlib import Path

    probe = Path(settings.MEDIA_ROOT) / "probe.txt"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text("secret")
    stranger = Client()
    try:
        for path in (attachment.file.name, "probe.txt"):
            assert stranger.get(f"/media/{path}").status_code == 404
    finally:
        probe.unlink()


def test_serve_refuses_to_start_on_the_development_keys(monkeypatch):
    """Finding 7: production never runs on the published keys."""
    from liandong import cli

    for name in ("LIANDONG_SECRET_KEY", "LIANDONG_SECRETS_KEY", "LIANDONG_ALLOW_DEVELOPMENT_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "_run_server", lambda *a: pytest.fail("served on development keys"))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve", "--port", "0"])
    message = str(stopped.value.code)
    assert "LIANDONG_SECRET_KEY" in message and "LIANDONG_SECRETS_KEY" in message
    monkeypatch.setenv("LIANDONG_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("LIANDONG_SECRETS_KEY", "y" * 50)
    started = []
    monkeypatch.setattr(cli, "_run_server", lambda *a: started.append(a))
    cli.main(["serve", "--port", "0"])
    assert started

"""Signing in as an attacker would (issue 11, finding 2): wrong passwords lock the name out on the
product's login and the admin's, the right password then does not get in, every attempt is
recorded with its address, and weak passwords are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from liandong import clock
from liandong.accounts.models import LoginAttempt
from tests.factories import office_user

PASSWORD = "Xq7-correct-horse"


def test_the_admin_login_is_no_door_of_its_own(db):
    """The admin's login page hands over to the product's (lock-out, second factor): posting a
    right password to it signs nobody in."""
    user = office_user()
    user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    answer = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"].startswith("/login/?next=")
    assert "_auth_user_id" not in client.session
    assert not LoginAttempt.objects.exists()


@pytest.mark.parametrize(("url", "where"), [("/login/", "web"), ("/login/?next=/admin/", "web")])
def test_wrong_passwords_lock_the_name_out_and_every_attempt_is_recorded(db, frozen_at, url, where):
    frozen_at("2026-11-30T09:00:00+08:00")
    user = office_user()
    user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(5):
        answer = client.post(url, {"username": user.username, "password": "guess"})
        assert answer.status_code == 200
    locked = client.post(url, {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 200 and "已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    attempts = LoginAttempt.objects.filter(username=user.username)
    assert attempts.count() == 6 and not attempts.filter(succeeded=True).exists()
    assert set(attempts.values_list("ip", "where").distinct()) == {("10.1.2.3", where)}
    clock.advance(timedelta(minutes=16))  # the lock lapses
    after = client.post(url, {"username": user.username, "password": PASSWORD})
    assert after.status_code == 302
    assert LoginAttempt.objects.filter(username=user.username, succeeded=True).count() == 1


def test_a_wrong_password_says_so_in_chinese_and_keeps_the_name(db):
    user = office_user()
    answer = Client().post("/login/", {"username": user.username, "password": "nope"})
    html = answer.content.decode()
    assert "用户名或密码错误，请重试。" in html and f'value="{user.username}"' in html


@pytest.mark.parametrize("weak", ["12345678", "password", "1234567890", "qwertyuiop"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_a_good_password_passes():
    validate_password("Liandong-2026-strong")

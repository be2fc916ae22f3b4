"""Notifications reach people outside the product, end to end: a new instruction and a breach become
deliveries (to whoever is on duty at that moment, the unit's leaders, the units' group robots, by
each person's settings), the worker sends them through the one delivery mechanism to local fake
servers, and the exact payloads arrive; a refused one is parked, shown in the backlog and resent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest

from liandong import clock
from liandong.accounts.models import Role
from liandong.channels import dingtalk_sign
from liandong.common import secretbox
from liandong.notifications.actions import (
    do_resend_delivery,
    do_set_robot_secrets,
    do_set_sms_headers,
    do_set_smtp_password,
)
from liandong.notifications.delivery import NOTIFY_QUEUE, deliver_notifications
from liandong.notifications.models import (
    Delivery,
    GroupRobot,
    PersonChannel,
    SmsGateway,
    SmtpServer,
)
from liandong.outbox import engine
from liandong.rosters.models import DutyShift, UnitContact
from liandong.worker.loop import sweep_overdue_deadlines
from tests.channels.fakes import FakeHttpServer, LocalController, Reply, SmtpHandler
from tests.factories import dispatched, unit, unit_user

T0 = datetime.fromisoformat("2026-11-30T09:00:00+08:00")
SMS_TEMPLATE = '{"mobile": "${phone}", "content": "${text}", "sign": "于洪区联动办"}'


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeHttpServer]]:
    servers = {name: FakeHttpServer().start() for name in ("sms", "wecom", "dingtalk")}
    servers["sms"].default = Reply(body='{"result": {"code": 0}}')
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpHandler]:
    handler = SmtpHandler()
    controller = LocalController(handler)
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def world(db, frozen_at, fakes, smtp, monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    frozen_at(T0)
    gateway = SmsGateway.objects.create(
        name="政务短信平台",
        url=fakes["sms"].url("/sms/send"),
        body_template=SMS_TEMPLATE,
        success_json_path="result.code",
        success_value="0",
    )
    do_set_sms_headers(gateway=gateway, headers={"X-Api-Key": "sms-secret-key"})
    server = SmtpServer.objects.create(
        name="政务邮箱",
        host="127.0.0.1",
        port=smtp.port,
        security="none",
        sender="ld@yuhong.gov.cn",
    )
    do_set_smtp_password(server=server, password="")
    wecom = GroupRobot.objects.create(unit=unit("ecology"), kind="wecom", name="值班群")
    do_set_robot_secrets(
        robot=wecom, url=fakes["wecom"].url("/cgi-bin/webhook/send?key=K1"), secret=None
    )
    ding = GroupRobot.objects.create(unit=unit("office"), kind="dingtalk", name="联动办群")
    do_set_robot_secrets(
        robot=ding,
        url=fakes["dingtalk"].url("/robot/send?access_token=dingtalk-token-of-the-office"),
        secret="SECdemo",
    )
    officer = unit_user("ecology")
    PersonChannel.objects.create(user=officer, email="zhang@eco.gov.cn", email_enabled=True)
    DutyShift.objects.create(
        unit=unit("ecology"),
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=12),
        person_name="张值班",
        phone="13900000001",
        user=officer,
        duty_place="分局值班室",
    )
    UnitContact.objects.create(
        unit=unit("ecology"), kind="leader", person_name="李局长", phone="13900000002"
    )
    return {"gateway": gateway, "wecom": wecom, "ding": ding, "officer": officer}


def _noise() -> None:
    dispatched(
        level=1,
        incident_class="source_diversion",
        category="noise",
        primary="ecology",
        cooperating=(),
    )


def test_secrets_are_stored_encrypted(world):
    robot = GroupRobot.objects.get(pk=world["ding"].pk)
    assert (
        "SECdemo" not in robot.secret_encrypted
        and "dingtalk-token-of-the-office" not in robot.url_encrypted
    )
    assert secretbox.decrypt(robot.secret_encrypted) == "SECdemo"
    gateway = SmsGateway.objects.get(pk=world["gateway"].pk)
    assert "sms-secret-key" not in gateway.headers_encrypted


def test_a_new_instruction_reaches_the_person_on_duty_and_the_unit_group(world, fakes, smtp):
    _noise()
    rows = list(Delivery.objects.order_by("channel"))
    assert [(d.channel, d.address) for d in rows] == [
        ("email", "zhang@eco.gov.cn"),
        ("sms", "13900000001"),
        ("wecom", ""),
    ]
    assert deliver_notifications() == 3
    sms = fakes["sms"].last
    assert sms.headers["x-api-key"] == "sms-secret-key"
    body = sms.json()
    assert body["mobile"] == "13900000001" and body["sign"] == "于洪区联动办"
    assert body["content"].startswith("【于洪区联动办】新指令：新指令（主责单位）：")
    wecom = fakes["wecom"].last
    assert wecom.query["key"] == ["K1"]
    assert wecom.json()["msgtype"] == "text"
    assert "新指令" in wecom.json()["text"]["content"]
    mail = message_from_bytes(smtp.messages[0].content, policy=policy.default)
    assert smtp.messages[0].rcpt_tos == ["zhang@eco.gov.cn"]
    assert mail["Subject"] == "新指令" and "区联动办" in mail["From"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_breach_reaches_duty_leaders_and_the_office_group_with_a_signed_robot_call(world, fakes):
    _noise()
    deliver_notifications()
    Delivery.objects.all().delete()
    clock.advance(timedelta(minutes=10))
    sweep_overdue_deadlines()
    breach = Delivery.objects.filter(notification__kind="overdue")
    assert sorted((d.channel, d.recipient) for d in breach) == [
        ("dingtalk", "区110非警务警情联动处置工作领导小组办公室·联动办群"),
        ("email", "张值班"),
        ("sms", "张值班"),
        ("sms", "李局长"),
        ("wecom", "区生态环境分局·值班群"),
    ]
    assert deliver_notifications() == 5
    ding = fakes["dingtalk"].last
    timestamp = int(ding.query["timestamp"][0])
    assert ding.query["access_token"] == ["dingtalk-token-of-the-office"]
    assert ding.query["sign"] == [dingtalk_sign("SECdemo", timestamp)]
    assert "SECdemo" not in ding.body.decode()
    assert json.loads(ding.body)["text"]["content"].startswith("【于洪区联动办】")


def test_a_refused_message_is_parked_shown_in_the_backlog_and_resent(world, fakes):
    fakes["sms"].answer(Reply(status=400, body='{"result": {"code": 40001}}'))
    _noise()
    deliver_notifications()
    parked = Delivery.objects.get(channel="sms")
    assert parked.state == "parked" and parked.last_status == 400
    assert engine.backlog(NOTIFY_QUEUE)["parked"] == 1
    admin_user = unit_user("ecology", Role.UNIT_LEADER)
    do_resend_delivery(actor=admin_user, delivery=parked)
    assert deliver_notifications() == 1
    assert Delivery.objects.get(pk=parked.pk).state == "delivered"
    assert engine.backlog(NOTIFY_QUEUE)["parked"] == 0


def test_nobody_on_duty_means_no_sms_but_the_group_still_hears(world):
    DutyShift.objects.all().delete()
    _noise()
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["wecom"]


def test_a_person_who_turned_sms_off_gets_none(world):
    PersonChannel.objects.filter(user=world["officer"]).update(sms_enabled=False)
    _noise()
    assert not Delivery.objects.filter(channel="sms").exists()


def test_a_spent_budget_leaves_the_rest_for_the_next_round(world, fakes, smtp):
    """The worker gives each queue a time budget per round, so the deadline watch (first in every
    round) never waits behind a storm's backlog; nothing is lost, the next round sends it."""
    _noise()
    assert deliver_notifications(budget_seconds=0.0) == 0
    assert Delivery.objects.exclude(state="delivered").count() == 3
    assert deliver_notifications(budget_seconds=60.0) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_an_idle_worker_round_finds_nothing_to_do(world, fakes, smtp):
    """A round that found work starts the next at once; an idle one must report none, or the
    worker would never pause."""
    from liandong.worker.loop import run_once

    _noise()
    run_once()
    run_once()
    assert run_once() == 0

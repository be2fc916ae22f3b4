"""Demo accounts and a handful of incidents in different states, made through the real actions, so
that a person can click through a living installation. Used by `liandong demo` only."""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta

from django.db import transaction

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.incidents import actions
from liandong.incidents.models import Incident
from liandong.units.models import Category, Unit
from liandong.units.selectors import suggest_category

DEMO_PASSWORD = "liandong-demo"
log = logging.getLogger("liandong.demo")

DEMO_UNITS = [
    "housing",
    "urban-constr",
    "ecology",
    "enforcement",
    "hr-social",
    "st-lingxi",
    "police",
]

UNIT_SHORT = {
    "housing": "房产局",
    "urban-constr": "城建局",
    "ecology": "生态环境分局",
    "enforcement": "行政执法分局",
    "hr-social": "人社局",
    "st-lingxi": "陵西街道",
    "police": "公安分局",
}


def _user(username: str, name: str, role: str, unit: Unit | None = None, **extra: bool) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": name, "role": role, "unit": unit, **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def create_demo_accounts() -> list[tuple[str, str]]:
    """Returns (username, description) for the printed list of logins."""
    logins = [
        (_user("diaodu", "王调度", Role.DISPATCHER), "区联动办调度员"),
        (_user("duban", "李督办", Role.SUPERVISOR), "区联动办督办员"),
        (_user("lingdao", "赵区长", Role.LEADERSHIP), "区领导（只读）"),
        (_user("admin", "系统管理员", Role.ADMIN, is_staff=True), "系统管理员（单位、人员、配置）"),
        (
            _user("anquan", "安全管理员", Role.SECURITY_ADMIN, is_staff=True),
            "安全管理员（角色、密码、锁定、令牌）",
        ),
        (_user("shenji", "安全审计员", Role.AUDITOR, is_staff=True), "安全审计员（审计记录）"),
    ]
    for code in DEMO_UNITS:
        unit = Unit.objects.get(code=code)
        logins.append(
            (
                _user(f"zb-{code}", f"{UNIT_SHORT[code]}值班员", Role.DUTY_OFFICER, unit),
                f"{unit.name}值班员",
            )
        )
        logins.append(
            (
                _user(f"ld-{code}", f"{UNIT_SHORT[code]}主管领导", Role.UNIT_LEADER, unit),
                f"{unit.name}主管领导",
            )
        )
    return [(u.username, label) for u, label in logins]


DEMO_CALLS = [
    (
        "13840012345",
        "张先生",
        "于洪区陵西街道怒江北街188号院内",
        "小区楼道内供热管线漏水，热水流到一楼，地面积水，老人出行困难。",
        "heating-leak",
    ),
    (
        "13998765432",
        "刘女士",
        "于洪区北陵街道黄河北大街工地",
        "夜间23点后工地仍在施工打桩，噪声很大，无法休息。",
        "noise",
    ),
    (
        "15104051234",
        "",
        "于洪区沙岭街道沙岭路与西江街交叉口",
        "路面井盖缺失，已有电动车差点掉进去，需要尽快处理。",
        "municipal-pipes",
    ),
    (
        "13700001111",
        "孙先生",
        "于洪区迎宾路街道迎宾路12号建筑工地",
        "十多名工人聚集讨要拖欠工资，情绪激动。",
        "unpaid-wages",
    ),
    (
        "18640022222",
        "周女士",
        "于洪区陵西街道昆山西路75号",
        "小区旁边饭店油烟直排，味道很大。",
        "pollution",
    ),
]


@transaction.atomic
def create_demo_incidents() -> None:
    if Incident.objects.exists():
        return
    dispatcher = User.objects.get(username="diaodu")

    def officer(code: str) -> User:
        return User.objects.get(username=f"zb-{code}")

    made = [
        actions.do_create_manual_incident(
            actor=dispatcher,
            caller_phone=phone,
            caller_name=name,
            address=address,
            content=content,
            received_at=clock.now() - timedelta(minutes=5 * (len(DEMO_CALLS) - i)),
        )
        for i, (phone, name, address, content, _) in enumerate(DEMO_CALLS)
    ]
    units = {u.code: u for u in Unit.objects.all()}
    cats = {c.code: c for c in Category.objects.all()}

    # 1: linked disposal, level 1, in progress with the primary having called the caller.
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=made[0],
        incident_class="linked_disposal",
        level=1,
        category=cats["heating-leak"],
        primary_unit=units["housing"],
        cooperating_units=[units["urban-constr"], units["st-lingxi"]],
        street=units["st-lingxi"],
    )
    primary = made[0].instructions.get(unit=units["housing"])
    actions.do_sign_instruction(actor=officer("housing"), instruction=primary)
    actions.do_record_caller_contact(
        actor=officer("housing"), instruction=primary, reached=True, note="已到场查看"
    )
    actions.do_give_feedback(
        actor=officer("housing"), instruction=primary, text="维修人员已到场，关闭阀门，正在抢修。"
    )
    coop = made[0].instructions.get(unit=units["st-lingxi"])
    actions.do_sign_instruction(actor=officer("st-lingxi"), instruction=coop)

    # 2: source diversion, level 2, signed, with an extension request waiting for the leader.
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=made[1],
        incident_class="source_diversion",
        level=2,
        category=cats["noise"],
        primary_unit=units["ecology"],
    )
    inst = made[1].instructions.get()
    actions.do_sign_instruction(actor=officer("ecology"), instruction=inst)
    result_due = inst.deadlines.get(kind="result").due_at
    actions.do_request_extension(
        actor=officer("ecology"),
        instruction=inst,
        progress="已约谈施工单位，需协调夜间施工许可核查。",
        reason="需住建部门配合核查施工许可",
        proposed_due_at=result_due + timedelta(days=3),
    )

    # 3: source diversion, level 2, result reported and waiting for the office.
    actions.do_dispatch_incident(
        actor=dispatcher,
        incident=made[2],
        incident_class="source_diversion",
        level=2,
        category=cats["municipal-pipes"],
        primary_unit=units["urban-constr"],
    )
    inst = made[2].instructions.get()
    ob = User.objects.get(username="zb-urban-constr")
    actions.do_sign_instruction(actor=ob, instruction=inst)
    actions.do_record_caller_contact(
        actor=ob, instruction=inst, reached=True, note="告知已安排维修"
    )
    actions.do_report_result(
        actor=ob, instruction=inst, outcome="resolved", text="已更换井盖并设置警示标志。"
    )
    # 4 and 5 stay new, waiting for triage.


# --- the city simulator and the autopilot that keep the demo alive ------------------------------

DEMO_CITY_PEER = "shenyang-city"
DEMO_CITY_SECRET = "demo-city-secret-for-liandong-only"
DEMO_DISTRICT_PEER = "yuhong-district"
DEMO_DISTRICT_SECRET = "demo-district-secret-for-liandong-only"


def configure_demo_city(reports_url: str) -> None:
    """A city peer with known demo keys, its reports going to the simulator's receiver."""
    from liandong.citylink.models import CityPeer, KeyDirection
    from liandong.citylink.peers import do_add_peer_key

    peer, created = CityPeer.objects.get_or_create(
        peer_id=DEMO_CITY_PEER,
        defaults={
            "name": "市安管平台（模拟）",
            "reports_url": reports_url,
            "district_peer_id": DEMO_DISTRICT_PEER,
        },
    )
    if not created and peer.reports_url != reports_url:
        peer.reports_url = reports_url
        peer.save(update_fields=["reports_url"])
    if created:
        do_add_peer_key(
            peer=peer, direction=KeyDirection.INBOUND, secret=DEMO_CITY_SECRET, label="演示"
        )
        do_add_peer_key(
            peer=peer, direction=KeyDirection.OUTBOUND, secret=DEMO_DISTRICT_SECRET, label="演示"
        )


def _unit_officer(unit: Unit) -> User:
    return _user(f"zb-{unit.code}", f"{unit.name}值班员", Role.DUTY_OFFICER, unit)


def autopilot_step() -> str | None:
    """Advance one piece of work by one step, as the people concerned would. Returns what it did."""
    from liandong.incidents.models import Instruction
    from liandong.incidents.selectors import triage_proposal

    now = clock.now()
    dispatcher = User.objects.get(username="diaodu")
    waiting = (
        Incident.objects.filter(
            status="new", source="city", accepted_at__lt=now - timedelta(minutes=3)
        )
        .order_by("accepted_at")
        .first()
    )
    if waiting is not None:
        category = suggest_category(waiting.content)
        if category is None:
            category = Category.objects.get(code="other")
        proposal = triage_proposal(waiting, category)
        primary_code = (
            proposal["primary_unit"] or proposal["street"] or {"code": "emergency-svc"}
        )["code"]
        linked = waiting.police_dispatched
        coop = (
            [u["code"] for u in proposal["cooperating_units"] if u["code"] != primary_code]
            if linked
            else []
        )
        actions.do_dispatch_incident(
            actor=dispatcher,
            incident=waiting,
            incident_class="linked_disposal" if linked else "source_diversion",
            level=1 if waiting.suggested_urgency == "urgent" else 2,
            category=category,
            primary_unit=Unit.objects.get(code=primary_code),
            cooperating_units=list(Unit.objects.filter(code__in=coop)),
            street=Unit.objects.filter(code=(proposal["street"] or {}).get("code")).first(),
        )
        return f"dispatched {waiting.incident_id}"
    candidates = list(
        Instruction.objects.filter(
            state__in=["pending_sign", "signed", "in_progress", "result_reported"],
            dispatched_at__lt=now - timedelta(seconds=40),
            incident__source="city",
        ).select_related("unit", "incident")[:50]
    )
    if not candidates:
        closable = (
            Incident.objects.filter(status="dispatched", source="city")
            .exclude(
                instructions__state__in=[
                    "pending_sign",
                    "signed",
                    "in_progress",
                    "result_reported",
                    "return_requested",
                ]
            )
            .first()
        )
        if closable is not None:
            actions.do_close_incident(
                actor=dispatcher, incident=closable, outcome="各单位已处置完毕，报警人诉求已解决。"
            )
            return f"closed {closable.incident_id}"
        return None
    inst = random.choice(candidates)
    officer = _unit_officer(inst.unit)
    if inst.state == "pending_sign":
        actions.do_sign_instruction(actor=officer, instruction=inst)
        return f"signed {inst}"
    if inst.role == "primary" and not inst.caller_contacts.exists():
        actions.do_record_caller_contact(
            actor=officer, instruction=inst, reached=True, note="已电话联系报警人"
        )
        return f"contacted caller {inst}"
    if inst.state == "signed":
        actions.do_give_feedback(actor=officer, instruction=inst, text="已到达现场，正在核实处置。")
        return f"feedback {inst}"
    if inst.state == "in_progress":
        actions.do_report_result(
            actor=officer,
            instruction=inst,
            outcome="resolved",
            text="问题已处理完毕，现场恢复正常。",
        )
        return f"result {inst}"
    actions.do_accept_result(actor=dispatcher, instruction=inst)
    return f"accepted {inst}"


def run_autopilot(*, stop: threading.Event, interval: float = 8.0) -> None:
    from django.db import close_old_connections

    while not stop.wait(interval):
        close_old_connections()
        try:
            autopilot_step()
        except Exception:  # a refused step (someone acted first) is fine; try another next time
            log.info("autopilot step skipped", exc_info=True)


def has_history() -> bool:
    """Whether `liandong seed-history` already ran here (its office account exists)."""
    return User.objects.filter(username="hist-office").exists()

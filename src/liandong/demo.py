"""Demo accounts and a handful of incidents in different states, made through the real actions, so
that a person can click through a living installation. Used by `liandong demo` only."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from liandong import clock
from liandong.accounts.models import Role, User
from liandong.incidents import actions
from liandong.incidents.models import Incident
from liandong.units.models import Category, Unit

DEMO_PASSWORD = "liandong-demo"

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
        (
            _user("admin", "系统管理员", Role.ADMIN, is_staff=True, is_superuser=True),
            "系统管理员（含管理后台）",
        ),
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

"""Which waiting incidents come first in the dispatcher's queue, pure: urgent ones (the city says
so, police are already on the way, or the text speaks of danger to people or property), then by
waiting time. Stored on the incident when it arrives or is supplemented, so the queue is ordered
by the database."""

from __future__ import annotations

from dataclasses import dataclass

URGENT = 0
NORMAL = 1

#: Words that speak of danger to people or property (a trapped car, fire, gas, electricity,
#: collapse, water where people are): their presence puts an incident first.
DANGER_CUES = (
    "被困",
    "困在",
    "起火",
    "着火",
    "失火",
    "冒烟",
    "冒黑烟",
    "火情",
    "燃气泄漏",
    "煤气泄漏",
    "天然气泄漏",
    "燃气味",
    "煤气味",
    "漏气",
    "触电",
    "漏电",
    "电线掉落",
    "电线断落",
    "坍塌",
    "倒塌",
    "塌陷",
    "爆炸",
    "溺水",
    "落水",
    "淹没",
    "倒灌",
    "受伤",
    "流血",
    "晕倒",
    "昏迷",
    "高空坠物",
    "有坠落危险",
    "砸伤",
    "砸到",
)


@dataclass(frozen=True)
class Urgency:
    priority: int  #: URGENT (0) or NORMAL (1): the queue's first key
    cues: tuple[str, ...]  #: why, shown on the queue (e.g. 市平台：紧急, 已先期处警, 被困)


def assess(
    *, content: str, address: str, suggested_urgency: str, police_dispatched: bool
) -> Urgency:
    cues: list[str] = []
    if suggested_urgency == "urgent":
        cues.append("市平台：紧急")
    if police_dispatched:
        cues.append("已先期处警")
    text = f"{address} {content}"
    cues += [word for word in DANGER_CUES if word in text]
    return Urgency(priority=URGENT if cues else NORMAL, cues=tuple(cues[:6]))

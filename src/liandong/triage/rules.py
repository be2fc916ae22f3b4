"""The catalogue's escalation signs as rules (pure): cues in the text, or the city's hints, that
decide the class (linked disposal) or the level (urgent) on their own, each with its reason.

A rule only ever raises (source diversion → linked disposal, level 2 → level 1); when none fires
the model decides. The cues are the plan's: an on-site dispute that may escalate, danger to people
or property, a public facility hazard, police on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: (pattern, reason, urgent as well): the danger is immediate, so also level 1.
LINKED_CUES: tuple[tuple[str, str, bool], ...] = (
    (r"打起来|打架|厮打|动手|动刀|持刀|拿刀|互殴|推搡|扭打", "现场发生肢体冲突", True),
    (r"围堵|堵门|聚集|围攻|上百人|几十人|群体", "现场人员聚集", True),
    (r"煤气味|燃气味|天然气味|燃气泄漏|煤气泄漏|漏气", "燃气泄漏危及安全", True),
    (r"起火|着火|冒烟|冒黑烟|火苗|爆炸|打火花|冒火花", "有起火或爆炸危险", True),
    (r"塌陷|坍塌|倒塌|垮塌|掉下来|砸伤|坠落", "有塌陷或坠物危险", True),
    (r"被困|困在|困住", "有人员被困", True),
    (r"受伤|流血|昏迷|晕倒|不省人事", "有人员受伤", True),
    (r"情绪激动|扬言|要跳楼|要自杀|威胁", "当事人情绪激动，可能激化", True),
)


@dataclass(frozen=True)
class RuleOutcome:
    linked_reasons: tuple[str, ...]
    urgent_reasons: tuple[str, ...]


def escalation(content: str, *, police: bool, urgent: bool) -> RuleOutcome:
    linked: list[str] = []
    pressing: list[str] = []
    if police:
        linked.append("市平台已先期处警（警方已派出）")
    if urgent:
        pressing.append("市平台标为紧急")
    for pattern, reason, immediate in LINKED_CUES:
        found = re.search(pattern, content or "")
        if found:
            linked.append(f"{reason}（“{found.group(0)}”）")
            if immediate:
                pressing.append(f"{reason}（“{found.group(0)}”）")
    return RuleOutcome(tuple(linked), tuple(pressing))

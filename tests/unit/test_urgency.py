"""The intake queue's urgency, pure: city urgency, police sent, danger words; nothing else."""

from __future__ import annotations

import pytest

from liandong.incidents.urgency import NORMAL, URGENT, assess


@pytest.mark.parametrize(
    ("content", "urgency", "police", "priority", "cues"),
    [
        ("公园厕所无人打扫", "", False, NORMAL, ()),
        ("小区供热管道漏水", "", False, NORMAL, ()),
        ("下立交积水，一辆轿车被困水中", "", False, URGENT, ("被困",)),
        ("楼道内有很浓的燃气味", "", False, URGENT, ("燃气味",)),
        ("变压器冒黑烟", "", False, URGENT, ("冒黑烟",)),
        ("邻居吵闹", "urgent", False, URGENT, ("市平台：紧急",)),
        ("门口纠纷", "normal", True, URGENT, ("已先期处警",)),
        ("电线掉落在人行道上，有人触电危险", "urgent", True, URGENT,
         ("市平台：紧急", "已先期处警", "触电", "电线掉落")),
    ],
)  # fmt: skip
def test_urgent_when_the_city_police_or_the_text_say_so(content, urgency, police, priority, cues):
    found = assess(content=content, address="", suggested_urgency=urgency, police_dispatched=police)
    assert (found.priority, found.cues) == (priority, cues)


def test_the_address_counts_too_and_cues_are_capped_at_six():
    found = assess(
        content="起火 着火 失火 冒烟 爆炸 倒塌 坍塌",
        address="某小区坍塌处",
        suggested_urgency="",
        police_dispatched=False,
    )
    assert found.priority == URGENT and len(found.cues) == 6

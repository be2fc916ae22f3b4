"""The life of a monthly bulletin: drafted (by the worker, or by hand), edited, published once;
a published bulletin is archived and never changes. Pure Python."""

from __future__ import annotations

from liandong.incidents.lifecycle import SAME, Machine, _rows

DRAFT, PUBLISHED = "draft", "published"

BULLETIN = Machine(
    name="通报",
    table=_rows(
        [((DRAFT,), "edit", SAME), ((DRAFT,), "refresh", SAME), ((DRAFT,), "publish", PUBLISHED)]
    ),
    state_labels={DRAFT: "草稿", PUBLISHED: "已印发"},
    action_labels={"edit": "编辑", "refresh": "重新统计", "publish": "印发"},
)

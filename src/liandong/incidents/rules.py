"""Business rules beyond the transition tables, as pure functions of plain facts.

Each rule answers `None` (allowed) or a `Refusal` with its code and the Chinese reason. The actions
raise it as a 409 (`enforce`); `available.py` shows it next to the action a user cannot take yet.
One function per rule, so the screens, the API and the actions can never disagree. Pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from liandong.common.errors import IllegalTransition
from liandong.incidents import upload_limits

PRIMARY = "primary"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def enforce(refusal: Refusal | None) -> None:
    """Raise the refusal as a 409; do nothing when the rule allows."""
    if refusal is not None:
        raise IllegalTransition(refusal.message, code=refusal.code)


def contact_caller(*, role: str) -> Refusal | None:
    """Only the primary unit calls the caller back."""
    if role != PRIMARY:
        return Refusal("not_primary", "只有主责单位需要记录联系报警人情况")
    return None


def report_result(*, role: str, caller_contacted: bool) -> Refusal | None:
    """The primary unit records a caller contact (reached or not) before its result."""
    if role == PRIMARY and not caller_contacted:
        return Refusal("caller_not_contacted", "主责单位须先记录联系报警人情况，再反馈处置结果")
    return None


def request_extension(
    *, now: datetime, result_due: datetime | None, pending_request: bool
) -> Refusal | None:
    """An extension is asked for before the result deadline, one at a time."""
    if result_due is not None and now >= result_due:
        return Refusal("deadline_passed", "处置时限已过，不能再申请延期；延期申请须在时限内提出")
    if pending_request:
        return Refusal("pending_request", "该指令已有待审批的延期申请")
    return None


def close_incident(*, open_units: Sequence[str], any_done: bool) -> Refusal | None:
    """An incident closes when every instruction has ended and at least one was done."""
    if open_units:
        return Refusal("open_instructions", f"尚有指令未完成，不能办结：{'、'.join(open_units)}")
    if not any_done:
        return Refusal("nothing_done", "没有已完成的指令，不能办结")
    return None


def decide_own_request(*, requested_by: int | None, decider: int) -> Refusal | None:
    """Nobody signs off their own request: the leader's approval is a second person's check."""
    if requested_by is not None and requested_by == decider:
        return Refusal("own_request", "不能审批自己提交的申请，请由本单位其他主管领导审批")
    return None


def stand_down(*, role: str) -> Refusal | None:
    """One cooperating unit may be stood down; the primary unit is changed by reassigning."""
    if role == PRIMARY:
        return Refusal("primary_unit", "主责单位不能单独撤销；如需更换，请改派")
    return None


def attach(*, files: int, total_bytes: int, adding_bytes: int = 0) -> Refusal | None:
    """An instruction holds a limited number of attachments and bytes (upload_limits.py)."""
    if files >= upload_limits.MAX_FILES_PER_INSTRUCTION or (
        total_bytes + adding_bytes > upload_limits.MAX_BYTES_PER_INSTRUCTION
    ):
        return Refusal(
            "attachment_quota", f"该指令的附件已达上限（{upload_limits.quota_text()}），不能再上传"
        )
    return None

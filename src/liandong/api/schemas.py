"""Request and response bodies of the API (they also make the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Query, Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

#: Where a page of a list starts: 0 to a million (beyond it is refused with 422, never an
#: integer overflow in the database).
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="从第几条开始（0–1000000）")]


class Out(BaseModel):
    """An answer's body. The selectors build plain dicts, so an answer is validated by pydantic
    alone: ninja's `Schema` wraps every nested object in its `DjangoGetter` to read model
    instances, which cost more than the rest of a list's answer (a unit's twenty instructions:
    ~450,000 attribute lookups)."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)


class ErrorField(Out):
    field: str
    code: str
    message: str


class ErrorDetail(Out):
    code: str
    message: str
    fields: list[ErrorField]


class ErrorOut(Out):
    error: ErrorDetail


class UnitRef(Out):
    code: str
    name: str
    tier: int | None


class DeadlineOut(Out):
    kind: Literal["sign", "caller_contact", "feedback", "result"]
    label: str
    due_at: str
    original_due_at: str
    extended: bool
    provisional: bool
    state: Literal["open", "met", "missed", "stopped"]
    status: Literal["running", "warning", "overdue", "paused", "met", "missed", "stopped"]
    warn_at: str | None
    held: bool
    completed_at: str | None
    seconds_left: int | None
    missed_by_seconds: int | None


class ActionOut(Out):
    action: str
    label: str
    allowed: bool
    reason: str


class InstructionOut(Out):
    id: int
    incident_id: str
    unit: UnitRef
    role: Literal["primary", "cooperating"]
    role_label: str
    level: int
    tier: int
    state: str
    state_label: str
    allowed_actions: list[str]
    actions: list[ActionOut]
    dispatched_at: str
    signed_at: str | None
    feedback: dict[str, Any] | None
    result: dict[str, Any] | None
    caller_contacts: list[dict[str, Any]]
    deadlines: list[DeadlineOut]
    reassigned_from: int | None
    note: str


class IncidentSummaryOut(Out):
    incident_id: str
    source: Literal["city", "manual"]
    status: str
    status_label: str
    received_at: str
    accepted_at: str
    address: str
    content: str
    caller_name: str = Field(description="脱敏（张*）；完整姓名经记录的查看接口获取")
    caller_phone: str = Field(description="脱敏（138****5678）；完整号码经记录的查看接口获取")
    class_: str | None = Field(None, alias="class")
    level: int | None
    category: str | None
    repeat_calls: int


class RepeatCandidateOut(Out):
    incident_id: str
    received_at: str
    reason: str = Field(description="疑似重复的原因（同一来电号码 / 地点相近且描述相似），不含号码")
    similarity: float = Field(description="相似度 0..1")


class IncidentOut(IncidentSummaryOut):
    transferred_at: str | None
    longitude: float | None
    latitude: float | None
    city_category: str
    police_dispatched: bool
    suggested_urgency: str | None
    category_name: str | None
    street: UnitRef | None
    triage_note: str
    dispatched_at: str | None
    merged_into: str | None
    return_reason: str
    outcome: str
    closed_at: str | None
    withdrawn_at: str | None
    satisfaction: str | None
    elapsed_seconds: int
    allowed_actions: list[str]
    actions: list[ActionOut]
    units: list[dict[str, Any]]
    instructions: list[InstructionOut]
    raw_request: dict[str, Any] | None = Field(
        description="区联动办可见：收到的原始请求，报警人姓名和电话已脱敏"
    )
    may_reveal_caller: bool = Field(
        description="本人可否查看报警人完整姓名和电话（区联动办、主责单位；每次查看均记录）"
    )
    anonymised_at: str | None = Field(None, description="报警人信息匿名化的时间")
    repeat_candidates: list[RepeatCandidateOut] | None = Field(
        None, description="区联动办研判时（可合并时）：疑似重复的在办警情，相似度高者在前"
    )


class CallerOut(Out):
    """The caller's full name and phone: only through a recorded reveal."""

    incident_id: str
    caller_name: str
    caller_phone: str


class IncidentPage(Out):
    count: int
    items: list[IncidentSummaryOut]


class InstructionPage(Out):
    count: int
    items: list[InstructionOut]


class EventOut(Out):
    id: int
    kind: str
    summary: str
    actor: str
    occurred_at: str
    instruction: int | None
    unit: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    data: dict[str, Any]


class ProposalOut(Out):
    category: dict[str, str]
    primary_unit: UnitRef | None
    alternatives: list[UnitRef]
    cooperating_units: list[UnitRef]
    street: UnitRef | None
    escalates_when: str


class RequestOut(Out):
    id: int
    instruction: int
    incident_id: str
    unit: UnitRef
    state: str
    state_label: str
    reason: str
    created_at: str
    decided_at: str | None
    decision_note: str
    progress: str | None = None
    proposed_due_at: str | None = None
    granted_due_at: str | None = None
    leader_note: str | None = None
    leader_decided_at: str | None = None
    document: int | None = None
    units: list[UnitRef] | None = None
    approved_units: list[UnitRef] | None = None
    state_before: str | None = None
    reassigned_to: int | None = None
    allowed_actions: list[str] = []
    actions: list[ActionOut] = []


class PendingOut(Out):
    returns: list[RequestOut] = []
    joins: list[RequestOut] = []
    extensions: list[RequestOut] = []
    results: list[InstructionOut] = []
    extensions_for_leader: list[RequestOut] = []


# --- inputs ----------------------------------------------------------------------------------


class ManualIncidentIn(Schema):
    caller_phone: str
    address: str
    content: str
    caller_name: str = ""
    received_at: AwareDatetime | None = None
    police_dispatched: bool = False
    city_category: str = ""


class DispatchIn(Schema):
    incident_class: Literal["source_diversion", "linked_disposal"]
    level: Literal[1, 2]
    category: str
    primary_unit: str
    cooperating_units: list[str] = []
    street: str | None = None
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str


class NoteIn(Schema):
    note: str = ""


class MergeIn(Schema):
    into: str = Field(description="警情编号 of the open incident to merge into")


class CloseIn(Schema):
    outcome: str


class CallBackIn(Schema):
    satisfaction: Literal[
        "satisfied", "basically_satisfied", "unsatisfied", "not_reached", "unable"
    ]
    note: str = ""
    reopen: bool = False


class WithdrawIn(Schema):
    reason: str


class AddUnitsIn(Schema):
    units: list[str]
    reason: str = ""


class CallerContactIn(Schema):
    reached: bool
    contacted_at: AwareDatetime | None = None
    note: str = ""


class FeedbackIn(Schema):
    text: str


class ResultIn(Schema):
    outcome: Literal["resolved", "partially_resolved", "unresolved", "no_issue_found", "referred"]
    text: str
    attachment_ids: list[int] = []


class JoinRequestIn(Schema):
    units: list[str]
    reason: str


class ExtensionRequestIn(Schema):
    progress: str
    reason: str
    proposed_due_at: AwareDatetime
    document_id: int | None = None


class ReassignIn(Schema):
    unit: str
    reason: str


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class ExtensionDecisionIn(Schema):
    grant: bool
    note: str = ""
    due_at: AwareDatetime | None = None


class JoinDecisionIn(Schema):
    approve: bool
    units: list[str] | None = None
    note: str = ""


class ReturnDecisionIn(Schema):
    decision: Literal["reassign", "insist"]
    unit: str | None = None
    note: str


class HolidayYearIn(Schema):
    holidays: list[str]
    makeup_workdays: list[str] = []
    source: str = ""


class TierChangeIn(Schema):
    tier: Literal[1, 2, 3]
    reason: str = ""


class MarkReadIn(Schema):
    ids: list[int] | None = None


class SupervisionIn(Schema):
    unit: str
    instructions: list[int]
    problems: str
    measures: str
    answer_due_at: AwareDatetime | None = None
    contact: str
    title: str = ""


class SupervisionSendBackIn(Schema):
    note: str
    answer_due_at: AwareDatetime | None = None

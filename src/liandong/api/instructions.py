"""Instructions: a unit's steps (sign, contact, feedback, result, attachments, requests) and the
office's actions on one instruction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Router, Status
from ninja.files import UploadedFile

from liandong.accounts.models import User
from liandong.api import schemas
from liandong.api.common import ERRORS, attachment_response, instruction_out, user_of
from liandong.common.errors import NotFound
from liandong.incidents import access, actions, selectors, upload_handler, upload_limits
from liandong.incidents.models import Attachment
from liandong.units.selectors import unit_by_code, units_by_codes

# --- instructions ----------------------------------------------------------------------------

instructions = Router(tags=["指令"])


@instructions.get(
    "", response=schemas.InstructionPage, summary="指令列表（单位用户只看到本单位的）"
)
def list_instructions(
    request: HttpRequest,
    open_only: bool = False,
    unit: str | None = None,
    limit: int = 50,
    offset: schemas.Offset = 0,
) -> dict[str, Any]:
    count, items = selectors.list_instructions(
        user_of(request),
        open_only=open_only,
        unit=unit,
        limit=max(1, min(limit, 200)),
        offset=max(0, offset),
    )
    return {"count": count, "items": items}


@instructions.get(
    "/{instruction_id}", response={200: schemas.InstructionOut, **ERRORS}, summary="指令详情"
)
def get_instruction(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    return instruction_out(request, instruction_id)


def _unit_instruction(request: HttpRequest, instruction_id: int) -> tuple[User, Any]:
    user = user_of(request)
    return user, access.access_instruction_for_unit_action(user, instruction_id)


def _office_instruction(request: HttpRequest, instruction_id: int) -> tuple[User, Any]:
    user = user_of(request)
    return user, access.access_instruction_for_office_action(user, instruction_id)


@instructions.post(
    "/{instruction_id}/sign", response={200: schemas.InstructionOut, **ERRORS}, summary="签收"
)
def sign(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_sign_instruction(actor=user, instruction=instruction)
    return instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/caller-contacts",
    response={201: schemas.InstructionOut, **ERRORS},
    summary="记录联系报警人",
)
def caller_contact(
    request: HttpRequest, instruction_id: int, payload: schemas.CallerContactIn
) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_record_caller_contact(
        actor=user,
        instruction=instruction,
        reached=payload.reached,
        contacted_at=payload.contacted_at,
        note=payload.note,
    )
    return Status(201, instruction_out(request, instruction_id))


@instructions.post(
    "/{instruction_id}/feedback",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="首次反馈（现场/初步）",
)
def feedback(
    request: HttpRequest, instruction_id: int, payload: schemas.FeedbackIn
) -> dict[str, Any]:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_give_feedback(actor=user, instruction=instruction, text=payload.text)
    return instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/result",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="反馈处置结果",
)
def result(request: HttpRequest, instruction_id: int, payload: schemas.ResultIn) -> dict[str, Any]:
    user, instruction = _unit_instruction(request, instruction_id)
    actions.do_report_result(
        actor=user,
        instruction=instruction,
        outcome=payload.outcome,
        text=payload.text,
        attachment_ids=payload.attachment_ids,
    )
    return instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/attachments",
    response={201: dict, **ERRORS},
    summary="上传照片或扫描件",
    description=(
        "照片（JPEG、PNG、GIF、WebP）或PDF扫描件，按文件内容识别，不看文件名和声明的类型；"
        "照片会重新编码并去除全部元数据（含GPS位置）。单个文件不超过20MB，每个指令"
        f"{upload_limits.quota_text()}；超过的请求不会被读取。未用于处置结果或延期申请的附件"
        f"在上传{upload_limits.UNUSED_KEPT_FOR.days}天后（指令结束后更早）自动删除。"
    ),
)
def upload(request: HttpRequest, instruction_id: int, file: File[UploadedFile]) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    upload_handler.enforce(request)  # refused before it was read (too large)
    attachment = actions.do_upload_attachment(
        actor=user,
        instruction=instruction,
        name=file.name or "附件",
        content_type=file.content_type or "",
        data=file.read(settings.LIANDONG_MAX_ATTACHMENT_BYTES + 1),
    )
    return Status(
        201, {"id": attachment.pk, "name": attachment.original_name, "size": attachment.size}
    )


@instructions.get(
    "/{instruction_id}/attachments/{attachment_id}",
    summary="下载附件",
    response={200: None, **ERRORS},
)
def download(request: HttpRequest, instruction_id: int, attachment_id: int) -> FileResponse:
    user = user_of(request)
    instruction = access.access_instruction(user, instruction_id)
    attachment = Attachment.objects.filter(pk=attachment_id, instruction=instruction).first()
    if attachment is None:
        raise NotFound("附件不存在", code="unknown_attachment")
    return attachment_response(attachment)


@instructions.post(
    "/{instruction_id}/return",
    response={201: schemas.RequestOut, **ERRORS},
    summary="退回指令（非本单位职责）",
)
def request_return(request: HttpRequest, instruction_id: int, payload: schemas.ReasonIn) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    created = actions.do_request_return(actor=user, instruction=instruction, reason=payload.reason)
    return Status(201, selectors.request_dict(user, created))


@instructions.post(
    "/{instruction_id}/join-requests",
    response={201: schemas.RequestOut, **ERRORS},
    summary="提请联动",
)
def request_join(
    request: HttpRequest, instruction_id: int, payload: schemas.JoinRequestIn
) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    created = actions.do_request_join(
        actor=user,
        instruction=instruction,
        units=units_by_codes("units", payload.units),
        reason=payload.reason,
    )
    return Status(201, selectors.request_dict(user, created))


@instructions.post(
    "/{instruction_id}/extension-requests",
    response={201: schemas.RequestOut, **ERRORS},
    summary="进展报告与延期申请",
)
def request_extension(
    request: HttpRequest, instruction_id: int, payload: schemas.ExtensionRequestIn
) -> Status:
    user, instruction = _unit_instruction(request, instruction_id)
    created = actions.do_request_extension(
        actor=user,
        instruction=instruction,
        progress=payload.progress,
        reason=payload.reason,
        proposed_due_at=payload.proposed_due_at,
        document_id=payload.document_id,
    )
    return Status(201, selectors.request_dict(user, created))


@instructions.post(
    "/{instruction_id}/urge", response={201: schemas.InstructionOut, **ERRORS}, summary="催办"
)
def urge(request: HttpRequest, instruction_id: int, payload: schemas.NoteIn) -> Status:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_urge_instruction(actor=user, instruction=instruction, note=payload.note)
    return Status(201, instruction_out(request, instruction_id))


@instructions.post(
    "/{instruction_id}/reassign",
    response={201: schemas.InstructionOut, **ERRORS},
    summary="改派（返回新指令）",
)
def reassign(request: HttpRequest, instruction_id: int, payload: schemas.ReassignIn) -> Status:
    user, instruction = _office_instruction(request, instruction_id)
    new = actions.do_reassign_instruction(
        actor=user,
        instruction=instruction,
        unit=unit_by_code("unit", payload.unit),
        reason=payload.reason,
    )
    return Status(201, instruction_out(request, new.pk))


@instructions.post(
    "/{instruction_id}/cancel",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="撤销一个协同单位的指令（停止其处置，上报市平台单位变更）",
)
def stand_down(request: HttpRequest, instruction_id: int, payload: schemas.ReasonIn) -> Status:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_stand_down_instruction(actor=user, instruction=instruction, reason=payload.reason)
    return Status(200, instruction_out(request, instruction_id))


@instructions.post(
    "/{instruction_id}/accept-result",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="审核通过处置结果",
)
def accept_result(
    request: HttpRequest, instruction_id: int, payload: schemas.NoteIn
) -> dict[str, Any]:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_accept_result(actor=user, instruction=instruction, note=payload.note)
    return instruction_out(request, instruction_id)


@instructions.post(
    "/{instruction_id}/send-back-result",
    response={200: schemas.InstructionOut, **ERRORS},
    summary="退回处置结果",
)
def send_back_result(
    request: HttpRequest, instruction_id: int, payload: schemas.ReasonIn
) -> dict[str, Any]:
    user, instruction = _office_instruction(request, instruction_id)
    actions.do_send_back_result(actor=user, instruction=instruction, reason=payload.reason)
    return instruction_out(request, instruction_id)

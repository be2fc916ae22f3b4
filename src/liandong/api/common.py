"""What the API's route modules share: the error responses, the caller, code lookups, the
API's view of one incident or instruction, and the one way a stored attachment goes out."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest

from liandong.accounts.models import User
from liandong.api import schemas
from liandong.audit.services import record_export
from liandong.common.child_rows import set_loaded
from liandong.common.errors import InvalidInput
from liandong.incidents import access, files, selectors, uploads
from liandong.incidents.models import Attachment, Instruction
from liandong.units import reference
from liandong.units.models import Category

ERRORS: dict[int, type[schemas.ErrorOut]] = {
    400: schemas.ErrorOut,
    401: schemas.ErrorOut,
    403: schemas.ErrorOut,
    404: schemas.ErrorOut,
    409: schemas.ErrorOut,
    422: schemas.ErrorOut,
}


def user_of(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def category_by_code(code: str) -> Category:
    category = reference.category_with_code(code)
    if category is None:
        raise InvalidInput.one("category", "unknown_category", f"事项类别「{code}」不存在")
    return category


def incident_out(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    user = user_of(request)
    return selectors.incident_detail(user, access.access_incident(user, incident_id))


def dispatched_out(request: HttpRequest, instructions: list[Instruction]) -> dict[str, Any]:
    """The answer of a dispatch: the incident's detail from the instructions the action has just
    written rather than read again. A dispatch comes only from a new incident
    (lifecycle.INCIDENT), so these are all its instructions and none has a request yet; their
    child rows are read in one query (selectors.incident_detail). The same body as
    GET /incidents/{id}."""
    incident = instructions[0].incident
    for instruction in instructions:
        instruction.has_pending_extension = False  # type: ignore[attr-defined]
    set_loaded(incident, "instructions", sorted(instructions, key=lambda i: i.pk))
    return selectors.incident_detail(user_of(request), incident)


def instruction_out(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    """The instruction as this user sees it now, read once through the gate (an action's answer
    reads it again after the change: its state, clocks and actions are the new ones)."""
    user = user_of(request)
    instruction = selectors.access_instruction_loaded(user, instruction_id)
    return selectors.instruction_dict(user, instruction)


#: A stored file is never a page: nothing in it runs, even if a browser were to show it.
ATTACHMENT_POLICY = "default-src 'none'; sandbox"


def attachment_response(attachment: Attachment) -> FileResponse:
    """A stored attachment (the caller passed the gate): always a download, typed by what its
    bytes are (never by what a client once declared), and never sniffed into something else."""
    handle = files.open_file(attachment.file.name)
    head = handle.read(16)
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=uploads.served_type(head),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_POLICY
    record_export(name=f"附件 {attachment.original_name}", detail=f"attachment:{attachment.pk}")
    return response

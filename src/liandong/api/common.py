"""What the API's route modules share: the error responses, the caller, code lookups, and the
API's view of one incident or instruction."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from liandong.accounts.models import User
from liandong.api import schemas
from liandong.common.errors import InvalidInput
from liandong.incidents import access, selectors
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
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise InvalidInput.one("category", "unknown_category", f"事项类别「{code}」不存在")
    return category


def incident_out(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    user = user_of(request)
    return selectors.incident_detail(user, access.access_incident(user, incident_id))


def instruction_out(request: HttpRequest, instruction_id: int) -> dict[str, Any]:
    user = user_of(request)
    instruction = selectors.instruction_for(user, access.access_instruction(user, instruction_id))
    return selectors.instruction_dict(user, instruction)

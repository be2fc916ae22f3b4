"""Domain errors. Actions raise them; the API maps them to HTTP answers with one error body:
{"error": {"code": ..., "message": ..., "fields": [{"field", "code", "message"}]}}."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


class DomainError(Exception):
    """Base class: a request that the domain refuses. `status` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    """The input breaks a rule; names every offending field (422)."""

    status = 422
    code = "invalid"

    def __init__(self, fields: list[FieldError], message: str = "提交的内容不符合要求") -> None:
        super().__init__(message)
        self.fields = fields

    @classmethod
    def one(cls, field: str, code: str, message: str) -> InvalidInput:
        return cls([FieldError(field, code, message)], message)

    @classmethod
    def from_validation_error(cls, exc: Any) -> InvalidInput:
        """Django's model validation (`full_clean`) said as field errors."""
        by_field = getattr(exc, "message_dict", None) or {"__all__": list(exc.messages)}
        fields = [
            FieldError(name, "invalid", str(message))
            for name, messages in by_field.items()
            for message in messages
        ]
        return cls(fields, fields[0].message if fields else "提交的内容不符合要求")


class IllegalTransition(DomainError):
    """The action is not allowed in the current state (409)."""

    status = 409
    code = "illegal_transition"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


@dataclass
class ErrorBody:
    code: str
    message: str
    fields: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "fields": [
                    {"field": f.field, "code": f.code, "message": f.message} for f in self.fields
                ],
            }
        }

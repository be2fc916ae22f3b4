"""Uploads to the attachment URLs are capped before they are read.

`AttachmentUploadLimit` is the first of FILE_UPLOAD_HANDLERS. On the views that take attachments
(ATTACHMENT_UPLOAD_VIEWS) it stops the multipart parser, without reading on:

- at the first file of a request whose Content-Length exceeds the most one instruction may hold
  (upload_limits.MAX_BYTES_PER_INSTRUCTION): the file's bytes are never read;
- as soon as one file passes LIANDONG_MAX_ATTACHMENT_BYTES (or declares more): at most one chunk
  beyond the limit is read, to a temporary file, never the rest.

The form fields before the file (the CSRF token, the text typed) are kept, so the view can say
why, next to the field the file came in: it asks `enforce(request)` first. Other views (imports in
the admin, calendars, boundaries) keep Django's own handling.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from liandong.common.errors import InvalidInput
from liandong.incidents.upload_limits import MAX_BYTES_PER_INSTRUCTION, MIB

#: The views (by their URL name) that take photos or scanned documents.
ATTACHMENT_UPLOAD_VIEWS = frozenset(
    {"api-v1:upload", "api-v1:answer", "unit-action", "unit-supervision-answer"}
)
_REFUSAL = "_liandong_upload_refusal"


def file_cap() -> int:
    return int(settings.LIANDONG_MAX_ATTACHMENT_BYTES)


def too_large_message() -> str:
    return f"文件不能超过{file_cap() // MIB}MB"


def request_too_large_message() -> str:
    return (
        f"上传的内容过大：每个文件不能超过{file_cap() // MIB}MB，"
        f"一次合计不能超过{MAX_BYTES_PER_INSTRUCTION // MIB}MB"
    )


def takes_attachments(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:  # read before the URL was resolved (by a middleware): resolve it here
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
    return match.view_name in ATTACHMENT_UPLOAD_VIEWS


def refusal(request: HttpRequest) -> InvalidInput | None:
    """Why the upload handler refused a file of this request, if it did."""
    found = getattr(request, _REFUSAL, None)
    return found if isinstance(found, InvalidInput) else None


def enforce(request: HttpRequest) -> None:
    """Raise the upload handler's refusal (422, on the field the file came in)."""
    found = refusal(request)
    if found is not None:
        raise found


class AttachmentUploadLimit(FileUploadHandler):
    """Refuses an oversized attachment upload before reading it (see the module's docstring)."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.applies = False
        self.body_too_large = False
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        self.applies = self.request is not None and takes_attachments(self.request)
        self.body_too_large = self.applies and content_length > MAX_BYTES_PER_INSTRUCTION
        return None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0
        if not self.applies:
            return
        if self.body_too_large:
            self._refuse("too_large", request_too_large_message())
        if self.content_length is not None and self.content_length > file_cap():
            self._refuse("too_large", too_large_message())

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if self.applies:
            self.received += len(raw_data)
            if self.received > file_cap():
                self._refuse("too_large", too_large_message())
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) keeps the file

    def _refuse(self, code: str, message: str) -> NoReturn:
        assert self.request is not None
        setattr(self.request, _REFUSAL, InvalidInput.one(self.field_name, code, message))
        raise StopUpload(connection_reset=True)

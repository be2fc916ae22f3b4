"""What the upload attacks send (tests/api/test_upload_security.py): a PNG header claiming too
many pixels, a photo with its GPS position, a body streamed as the server reads it."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from typing import Any

from django.conf import settings
from django.test import Client
from django.test.client import ClientHandler, RequestFactory
from PIL import Image

from liandong.accounts.models import User


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def photo_with_gps() -> bytes:
    """A JPEG 40 × 20 taken with the phone turned (EXIF orientation 6) at a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (41.0, 48.0, 12.5), 3: "E", 4: (123.0, 18.0, 33.1)}
    buffer = BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


class StreamedBody:
    """A multipart body made as the server reads it, counting what was read. Past `give_up` it
    ends (as a client would hang up), so a server that reads everything is caught, not waited on."""

    def __init__(self, boundary: str, file_bytes: int, give_up: int) -> None:
        self.head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode() + b"\xff\xd8\xff"
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.total = len(self.head) + file_bytes + len(self.tail)
        self.consumed = 0
        self.give_up = give_up

    def _bytes(self, start: int, size: int) -> bytes:
        out = bytearray()
        if start < len(self.head):
            out += self.head[start : start + size]
        filler_end = self.total - len(self.tail)
        pos = start + len(out)
        if len(out) < size and pos < filler_end:
            out += b"\x00" * (min(size - len(out), filler_end - pos))
        pos = start + len(out)
        if len(out) < size and pos >= filler_end:
            offset = pos - filler_end
            out += self.tail[offset : offset + size - len(out)]
        return bytes(out)

    def read(self, size: int | None = -1) -> bytes:
        left = self.total - self.consumed
        size = left if size is None or size < 0 else min(size, left)
        size = min(size, max(0, self.give_up - self.consumed))
        data = self._bytes(self.consumed, size)
        self.consumed += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        return self.read(size)


def post_streamed(user: User, path: str, body: StreamedBody, boundary: str) -> Any:
    """POST `body` as it is read, signed in as `user` (no CSRF token: as the test client)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=str(body.total),
        HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={cookie}",
        **{"wsgi.input": body},
    )
    return ClientHandler(enforce_csrf_checks=False)(environ)

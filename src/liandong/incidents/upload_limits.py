"""The limits on uploaded attachments, in one place (pure Python, no Django import).

The size of one file is the setting LIANDONG_MAX_ATTACHMENT_BYTES (20 MiB); everything else an
upload may be is fixed here: how many files and bytes one instruction may hold, how many pixels an
image may have before it is refused as a decompression bomb, and how long an upload may stay unused
before the worker removes it.
"""

from __future__ import annotations

from datetime import timedelta

MIB = 1024 * 1024

#: One instruction holds at most this many attachments (photos of several result rounds included).
MAX_FILES_PER_INSTRUCTION = 30
#: ... and at most this many bytes in all. No single upload request may be larger either: a body
#: above it is refused before it is read (upload_handler.py).
MAX_BYTES_PER_INSTRUCTION = 200 * MIB

#: An image with more pixels than this is refused before it is decoded (50 megapixels: more than
#: any phone's default photo, and at most about 200 MB while it is re-encoded).
MAX_IMAGE_PIXELS = 50_000_000

#: An upload never used by a result, an extension request or a supervision answer is removed
#: (row and file) once it is this old ...
UNUSED_KEPT_FOR = timedelta(days=7)
#: ... or, sooner, once its instruction has ended and it is this old (it can no longer be used).
UNUSED_AFTER_END_KEPT_FOR = timedelta(hours=1)


def quota_text() -> str:
    return f"最多{MAX_FILES_PER_INSTRUCTION}个、合计不超过{MAX_BYTES_PER_INSTRUCTION // MIB}MB"

"""Attachments: a unit's photos and scanned documents, stored, linked to what they support, and
removed when they were never used.

What an upload is comes from its bytes (uploads.py: images re-encoded without their metadata,
PDFs by their header); where it lives and when it becomes visible, from files.py (random names
under MEDIA_ROOT, which no URL serves); how much an instruction may hold and how long an unused
upload is kept, from upload_limits.py. A file goes out only through the API's download, which
checks who asks (liandong.api.common.attachment_response).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import InvalidInput
from liandong.incidents import available, files, rules, upload_limits, uploads
from liandong.incidents.actions.kernel import append_event, instruction_transition
from liandong.incidents.actions.locks import lock_attachments, lock_instruction
from liandong.incidents.events import EventKind
from liandong.incidents.lifecycle import FINAL_INSTRUCTION_VALUES
from liandong.incidents.models import Attachment, ExtensionRequest, Instruction

log = logging.getLogger("liandong.attachments")

#: The content types an upload may turn out to be (by its bytes, never by its declaration).
ALLOWED_ATTACHMENT_TYPES = uploads.CONTENT_TYPES
#: How many instructions' unused uploads one worker round removes.
BATCH = 200


def _max_mb() -> int:
    return int(settings.LIANDONG_MAX_ATTACHMENT_BYTES) // upload_limits.MIB


def store_upload(
    *,
    actor: User,
    name: str,
    data: bytes,
    content_type: str = "",
    instruction: Instruction | None = None,
    purpose: str = "",
    field: str = "file",
) -> Attachment:
    """Check an uploaded file by its content and store it so that it becomes visible only when
    the caller's transaction commits (see files.py). The caller holds the rows it belongs to.

    `content_type` is what the client declared: it is ignored (the stored type is what the bytes
    are). Errors name `field`, the form field the file came in."""
    del content_type  # never trusted
    if not data:
        raise InvalidInput.one(field, "empty", "文件为空")
    if len(data) > settings.LIANDONG_MAX_ATTACHMENT_BYTES:
        raise InvalidInput.one(field, "too_large", f"文件不能超过{_max_mb()}MB")
    examined = uploads.examine(data, field=field)
    if instruction is not None:
        rules.enforce(available.attach_refusal(instruction, adding_bytes=len(examined.data)))
    now = clock.now()
    token = secrets.token_hex(16)
    local = clock.to_beijing(now)
    stored_as = files.final_name(token, local.year, local.month)
    files.stage(token, examined.data)
    attachment = Attachment.objects.create(
        file=stored_as,
        original_name=uploads.display_name(name, examined.kind),
        content_type=examined.content_type,
        size=len(examined.data),
        sha256=hashlib.sha256(examined.data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
        instruction=instruction,
        purpose=purpose,
    )
    transaction.on_commit(partial(files.publish, stored_as))
    return attachment


@transaction.atomic
def do_upload_attachment(
    *,
    actor: User,
    instruction: Instruction,
    name: str,
    data: bytes,
    content_type: str = "",
    field: str = "file",
) -> Attachment:
    """Store a photo or scanned document for a unit's working instruction (linked on use). The
    table decides in which states a unit may attach; the quota is a rule (rules.attach)."""
    instruction = lock_instruction(instruction)
    instruction_transition(instruction, "attach")
    rules.enforce(available.attach_refusal(instruction))  # full already: refuse before decoding
    attachment = store_upload(
        actor=actor,
        name=name,
        content_type=content_type,
        data=data,
        instruction=instruction,
        field=field,
    )
    append_event(
        incident=instruction.incident,
        instruction=instruction,
        kind=EventKind.ATTACHMENT_UPLOADED,
        summary=f"{instruction.unit.name}上传附件：{attachment.original_name}",
        actor=actor,
        data={
            "attachment": attachment.pk,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )
    return attachment


def link_attachments(
    actor: User, instruction: Instruction, ids: Sequence[int], purpose: str
) -> list[Attachment]:
    """Attach the actor's own uploads to this instruction for a purpose (the instruction is held)."""
    if not ids:
        return []
    found = [a for a in lock_attachments(list(ids)) if a.uploaded_by_id == actor.pk]
    if len(found) != len(set(ids)):
        raise InvalidInput.one("attachment_ids", "unknown", "附件不存在或不是本人上传")
    for attachment in found:
        if attachment.instruction_id not in (None, instruction.pk):
            raise InvalidInput.one("attachment_ids", "in_use", "附件已用于其他指令")
        attachment.instruction = instruction
        attachment.purpose = purpose
        attachment.save(update_fields=["instruction", "purpose"])
    return found


# --- unused uploads ------------------------------------------------------------------------------


def unused_attachments(*, now: datetime) -> QuerySet[Attachment]:
    """Uploads never used by a result, an extension request or a supervision answer, kept past
    their time: UNUSED_KEPT_FOR after the upload, or UNUSED_AFTER_END_KEPT_FOR once their
    instruction has ended (nothing can use them any more)."""
    old = Q(uploaded_at__lt=now - upload_limits.UNUSED_KEPT_FOR)
    ended = Q(
        instruction__state__in=FINAL_INSTRUCTION_VALUES,
        uploaded_at__lt=now - upload_limits.UNUSED_AFTER_END_KEPT_FOR,
    )
    used_by_request = Exists(ExtensionRequest.objects.filter(document=OuterRef("pk")))
    return Attachment.objects.filter(old | ended, purpose="").exclude(used_by_request)


@transaction.atomic
def do_remove_unused_attachments(*, instruction_id: int | None, now: datetime) -> int:
    """Remove one instruction's unused uploads, rows now and files once the removal commits;
    the number removed. Rechecked under the lock (a result may have used one meanwhile)."""
    candidates = unused_attachments(now=now)
    if instruction_id is None:
        candidates = candidates.filter(instruction__isnull=True)
    else:
        lock_instruction(instruction_id)
        candidates = candidates.filter(instruction_id=instruction_id)
    locked = lock_attachments(list(candidates.values_list("pk", flat=True)))
    still = set(
        unused_attachments(now=now)
        .filter(pk__in=[a.pk for a in locked])
        .values_list("pk", flat=True)
    )
    removed = 0
    for attachment in locked:
        if attachment.pk not in still:
            continue
        name = attachment.file.name
        attachment.delete()
        transaction.on_commit(partial(files.remove, name))
        removed += 1
    if removed:
        log.info("removed %d unused attachment(s) of instruction %s", removed, instruction_id)
    return removed


def remove_unused_attachments(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Worker: every instruction's unused uploads (at most `limit` instructions a round)."""
    moment = now or clock.now()
    owners = list(
        unused_attachments(now=moment)
        .order_by("instruction_id")
        .values_list("instruction_id", flat=True)
        .distinct()[:limit]
    )
    return sum(do_remove_unused_attachments(instruction_id=pk, now=moment) for pk in owners)


def sweep_attachment_files() -> int:
    """Worker: remove unused uploads; finish the files of committed uploads, remove those of
    rolled-back ones."""
    done = remove_unused_attachments()
    tokens = files.stale_tokens()
    if not tokens:
        return done
    known: set[str] = set()
    for token in tokens:
        known.update(
            Attachment.objects.filter(file__endswith=f"/{token}").values_list("file", flat=True)
        )
    published, removed = files.sweep(known)
    return done + published + removed

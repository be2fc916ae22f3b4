"""Every change to a stateful row goes through a table and leaves an event: requests cancelled
because their instruction ended, an attachment uploaded
(under lock, only in a working state, its file visible only once the transaction commits)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from liandong.incidents import actions, files
from liandong.incidents.events import EventKind
from liandong.incidents.models import (
    Attachment,
    Deadline,
    Event,
    ExtensionRequest,
    Incident,
    JoinRequest,
)
from tests.factories import dispatched, image_bytes, instruction_of, office_user, unit, unit_user

PNG = image_bytes()


def _working_instruction():
    incident = dispatched()
    inst = instruction_of(incident, "housing")
    officer = unit_user("housing")
    actions.do_sign_instruction(actor=officer, instruction=inst)
    return incident, instruction_of(incident, "housing"), officer


def test_requests_left_pending_are_cancelled_through_their_table_with_an_event(db):
    incident, inst, officer = _working_instruction()
    due = Deadline.objects.get(instruction=inst, kind="result").due_at
    ext = actions.do_request_extension(
        actor=officer,
        instruction=inst,
        progress="已关阀",
        reason="等配件",
        proposed_due_at=due + timedelta(days=2),
    )
    join = actions.do_request_join(
        actor=officer, instruction=inst, units=[unit("emergency")], reason="需协助"
    )
    actions.do_withdraw_incident(
        actor=office_user(), incident=incident, reason="报警人已自行解决", by_city=False
    )
    assert ExtensionRequest.objects.get(pk=ext.pk).state == "cancelled"
    assert JoinRequest.objects.get(pk=join.pk).state == "cancelled"
    cancelled = Event.objects.filter(incident=incident, kind=EventKind.REQUEST_CANCELLED)
    assert sorted(e.data["request"] for e in cancelled) == sorted([ext.pk, join.pk])
    assert {e.before["request_state"] for e in cancelled} == {"pending_leader", "pending_office"}
    assert all(e.after["request_state"] == "cancelled" for e in cancelled)


def _upload(client: Client, inst_pk: int):
    return client.post(
        f"/api/v1/instructions/{inst_pk}/attachments",
        {"file": SimpleUploadedFile("现场.png", PNG, content_type="image/png")},
    )


def test_an_attachment_is_refused_before_signing_and_after_the_work_ended(db):
    incident = dispatched()
    inst = instruction_of(incident, "housing")
    client = Client()
    client.force_login(unit_user("housing"))
    refused = _upload(client, inst.pk)
    assert refused.status_code == 409, refused.content
    assert "上传附件" in refused.json()["error"]["message"]
    assert not Attachment.objects.exists()
    assert Event.objects.filter(kind="attachment_uploaded").count() == 0


def _media(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_file_appears_only_when_its_transaction_commits():
    _, inst, officer = _working_instruction()
    client = Client()
    client.force_login(officer)

    with transaction.atomic():
        attachment = actions.do_upload_attachment(
            actor=officer, instruction=inst, name="a.png", content_type="image/png", data=PNG
        )
        assert not _media(attachment.file.name).exists()  # not before the commit
    assert _media(attachment.file.name).read_bytes() == PNG  # published on commit
    assert Event.objects.filter(kind="attachment_uploaded").count() == 1

    # a rolled-back upload leaves a staged file only, which the worker's sweep removes
    with pytest.raises(RuntimeError), transaction.atomic():
        doomed = actions.do_upload_attachment(
            actor=officer, instruction=inst, name="b.png", content_type="image/png", data=PNG
        )
        raise RuntimeError("the request failed after the upload")
    assert not Attachment.objects.filter(pk=doomed.pk).exists()
    assert not _media(doomed.file.name).exists()
    staged = _media(files.INCOMING) / Path(doomed.file.name).name
    assert staged.exists()
    old = time.time() - files.STALE_SECONDS - 1
    os.utime(staged, (old, old))
    assert actions.sweep_attachment_files() == 1
    assert not staged.exists()
    assert _media(attachment.file.name).exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_upload_whose_rename_was_interrupted_is_finished_by_its_first_reader():
    _, inst, officer = _working_instruction()
    attachment = actions.do_upload_attachment(
        actor=officer, instruction=inst, name="a.png", content_type="image/png", data=PNG
    )
    # as if the process died between the commit and the rename
    final = _media(attachment.file.name)
    staged = _media(files.INCOMING) / final.name
    os.replace(final, staged)

    client = Client()
    client.force_login(office_user())
    response = client.get(f"/api/v1/instructions/{inst.pk}/attachments/{attachment.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert final.exists() and not staged.exists()
    assert Incident.objects.count() == 1

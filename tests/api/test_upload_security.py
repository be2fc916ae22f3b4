"""Uploads as an attacker sends them (issue 11, finding 6 and the "Uploads" requirement).

Every test performs the attack: a page sent as a photo, a photo that tells where it was taken, a
decompression bomb, a body too large to read, an instruction filled without end, uploads left
lying about. Each one was accepted (or read whole, or kept) before uploads were judged by content.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from liandong import clock
from liandong.accounts.models import User
from liandong.incidents import actions, files, upload_limits
from liandong.incidents.models import Attachment, Instruction
from tests.api.upload_attacks import StreamedBody, photo_with_gps, png_header_only, post_streamed
from tests.factories import dispatched, image_bytes, instruction_of, office_user, unit_user

T0 = "2026-11-30T09:00:00+08:00"
MB = 1024 * 1024
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/me')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def working(code: str = "housing", **kw: Any) -> tuple[Instruction, User]:
    """An instruction its unit has signed (a unit may attach to it), and the unit's officer."""
    incident = dispatched(cooperating=kw.pop("cooperating", ()), **kw)
    officer = unit_user(code)
    inst = instruction_of(incident, code)
    actions.do_sign_instruction(actor=officer, instruction=inst)
    return inst, officer


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, inst: Instruction, data: bytes, name: str, declared: str) -> Any:
    return client.post(
        f"/api/v1/instructions/{inst.pk}/attachments",
        {"file": SimpleUploadedFile(name, data, content_type=declared)},
    )


def stored(attachment: Attachment) -> bytes:
    with files.open_file(attachment.file.name) as handle:
        return handle.read()


def error(response: Any) -> tuple[str, str, list[str]]:
    """The error's code, message and fields (from any response, also one the raw handler made)."""
    body = json.loads(response.content)["error"]
    return body["code"], body["message"], [f["field"] for f in body["fields"]]


def field_message(response: Any) -> str:
    return str(json.loads(response.content)["error"]["fields"][0]["message"])


# --- type by content ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [(HTML, "现场.png"), (SVG, "现场.png"), (b"\x89PNG\r\n\x1a\n" + HTML, "现场.png")],
    ids=["html", "svg", "png-signature-then-html"],
)
def test_a_page_sent_as_a_photo_is_refused_and_nothing_is_stored(db, frozen_at, data, name):
    frozen_at(T0)
    inst, officer = working()
    answer = upload(client_for(officer), inst, data, name, "image/png")
    assert answer.status_code == 422, answer.content
    assert error(answer)[2] == ["file"]
    said = field_message(answer)
    assert "只能上传照片" in said or "图片已损坏" in said
    assert not Attachment.objects.exists()


def test_a_heic_photo_is_refused_with_what_to_do_instead(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    answer = upload(client_for(officer), inst, heic, "IMG_0001.HEIC", "image/heic")
    assert answer.status_code == 422
    assert "HEIC" in field_message(answer)
    assert "兼容性最佳" in field_message(answer)


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (image_bytes("JPEG"), "image/png", "image/jpeg"),
        (image_bytes("PNG"), "text/html", "image/png"),
        (image_bytes("GIF"), "application/octet-stream", "image/gif"),
        (image_bytes("WEBP"), "image/jpeg", "image/webp"),
        (PDF, "image/png", "application/pdf"),
    ],
    ids=["jpeg", "png", "gif", "webp", "pdf"],
)
def test_the_stored_type_is_what_the_bytes_are_never_what_was_declared(
    db, frozen_at, data, declared, expected
):
    frozen_at(T0)
    inst, officer = working()
    client = client_for(officer)
    answer = upload(client, inst, data, "现场.html", declared)
    assert answer.status_code == 201, answer.content
    attachment = Attachment.objects.get(pk=answer.json()["id"])
    assert attachment.content_type == expected
    assert not attachment.original_name.endswith(".html")  # named for what it is
    served = client.get(f"/api/v1/instructions/{inst.pk}/attachments/{attachment.pk}")
    assert served["Content-Type"] == expected
    if expected == "application/pdf":
        assert stored(attachment) == PDF  # a scan is kept as it came


def test_a_pdf_without_its_header_is_refused(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    answer = upload(client_for(officer), inst, b"<html>" + PDF, "回复.pdf", "application/pdf")
    assert answer.status_code == 422


# --- images re-encoded: metadata gone, upright -----------------------------------------------------


def test_a_photo_loses_its_gps_position_and_stands_upright(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    original = photo_with_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(0x8825)  # the attack carries GPS
    answer = upload(client_for(officer), inst, original, "现场.jpg", "image/jpeg")
    assert answer.status_code == 201, answer.content
    kept = stored(Attachment.objects.get(pk=answer.json()["id"]))
    image = Image.open(BytesIO(kept))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}  # no GPS, no maker, no orientation left to apply
    assert "exif" not in image.info and b"PhoneMaker" not in kept
    assert image.size == (20, 40)  # turned as the orientation said


def test_text_hidden_in_a_png_does_not_survive(db, frozen_at):
    from PIL.PngImagePlugin import PngInfo

    frozen_at(T0)
    inst, officer = working()
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG", pnginfo=info)
    answer = upload(client_for(officer), inst, buffer.getvalue(), "a.png", "image/png")
    assert answer.status_code == 201
    assert b"<script>" not in stored(Attachment.objects.get(pk=answer.json()["id"]))


@pytest.mark.parametrize(("width", "height"), [(8_000, 7_000), (30_000, 30_000)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(db, frozen_at, width, height):
    frozen_at(T0)
    inst, officer = working()
    bomb = png_header_only(width, height)
    assert len(bomb) < 2_000
    answer = upload(client_for(officer), inst, bomb, "bomb.png", "image/png")
    assert answer.status_code == 422, answer.status_code
    assert error(answer)[0] == "invalid"
    assert "像素过多" in field_message(answer)
    assert not Attachment.objects.exists()


def test_a_page_sent_as_the_signed_scan_of_a_supervision_answer_is_refused(db, frozen_at):
    from liandong.accounts.models import Role
    from liandong.supervision.actions import do_issue_supervision_order

    frozen_at(T0)
    inst, _ = working()
    order = do_issue_supervision_order(
        actor=office_user(Role.SUPERVISOR),
        unit=inst.unit,
        instructions=[inst],
        problems="签收超时",
        measures="立即处置并书面说明",
        answer_due_at=clock.now() + timedelta(days=2),
        contact="李督办 024-12345678",
    )
    scan = SimpleUploadedFile("回复.pdf", HTML, content_type="application/pdf")
    answer = client_for(unit_user("housing", Role.UNIT_LEADER)).post(
        f"/api/v1/supervision-orders/{order.pk}/answer", {"text": "已整改", "document": scan}
    )
    assert answer.status_code == 422 and error(answer)[2] == ["document"]
    assert not Attachment.objects.exists()


# --- stored under random names, served only through the gate as downloads --------------------------


def test_an_attachment_is_stored_under_a_random_name_that_no_url_serves(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    answer = upload(client_for(officer), inst, image_bytes(), "张三家门口.png", "image/png")
    attachment = Attachment.objects.get(pk=answer.json()["id"])
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}", attachment.file.name)
    media = settings.MEDIA_ROOT.resolve()
    assert settings.STATIC_ROOT.resolve() not in (media, *media.parents)
    assert Client().get(f"/media/{attachment.file.name}").status_code == 404
    assert client_for(office_user()).get(f"/media/{attachment.file.name}").status_code == 404


def test_a_download_is_always_an_attachment_never_sniffed_and_never_a_page(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    client = client_for(officer)
    answer = upload(client, inst, image_bytes(), "现场.png", "image/png")
    served = client.get(f"/api/v1/instructions/{inst.pk}/attachments/{answer.json()['id']}")
    assert served.status_code == 200
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert Client().get(served.request["PATH_INFO"]).status_code == 401  # only through the gate


def test_a_page_stored_before_this_check_is_served_as_an_opaque_download(db, frozen_at):
    """A row written when the declared type was trusted (HTML stored as image/png) goes out by
    what its bytes are: an octet-stream download, not a page on this site's origin."""
    frozen_at(T0)
    inst, officer = working()
    files.stage("0" * 32, HTML)
    legacy = Attachment.objects.create(
        file=files.final_name("0" * 32, 2026, 11),
        original_name="现场.png",
        content_type="image/png",
        size=len(HTML),
        sha256="",
        uploaded_by=officer,
        uploaded_at=clock.now(),
        instruction=inst,
    )
    served = client_for(officer).get(f"/api/v1/instructions/{inst.pk}/attachments/{legacy.pk}")
    assert served.status_code == 200
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;")


# --- only where the unit may still work -----------------------------------------------------------


def test_an_upload_is_refused_once_the_result_is_reported_and_after_a_stand_down(db, frozen_at):
    frozen_at(T0)
    inst, officer = working(cooperating=("urban-constr",))
    client = client_for(officer)
    actions.do_record_caller_contact(actor=officer, instruction=inst, reached=True)
    actions.do_report_result(actor=officer, instruction=inst, outcome="resolved", text="已处置")
    reported = upload(client, inst, image_bytes(), "a.png", "image/png")
    assert reported.status_code == 409 and "上传附件" in error(reported)[1]

    helper = unit_user("urban-constr")
    other = instruction_of(inst.incident, "urban-constr")
    actions.do_sign_instruction(actor=helper, instruction=other)
    actions.do_stand_down_instruction(actor=office_user(), instruction=other, reason="无需协助")
    stood_down = upload(client_for(helper), other, image_bytes(), "a.png", "image/png")
    assert stood_down.status_code == 409
    assert not Attachment.objects.exists()


# --- the size capped before reading ----------------------------------------------------------------


def test_a_400_mb_upload_is_refused_without_reading_its_body(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    boundary = "xYzBoundary"
    body = StreamedBody(boundary, file_bytes=400 * MB, give_up=64 * MB)
    answer = post_streamed(officer, f"/api/v1/instructions/{inst.pk}/attachments", body, boundary)
    assert body.consumed < 1 * MB, f"the server read {body.consumed} bytes"
    assert answer.status_code == 422, answer.content
    assert error(answer)[2] == ["file"] and "不能超过" in field_message(answer)
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_read_no_further_and_never_into_memory(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    boundary = "xYzBoundary"
    body = StreamedBody(boundary, file_bytes=60 * MB, give_up=61 * MB)
    tracemalloc.start()
    try:
        answer = post_streamed(
            officer, f"/api/v1/instructions/{inst.pk}/attachments", body, boundary
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    limit = settings.LIANDONG_MAX_ATTACHMENT_BYTES
    assert body.consumed < limit + 1 * MB, f"the server read {body.consumed} bytes"
    assert peak < 10 * MB, f"the upload took {peak} bytes of memory"
    assert answer.status_code == 422, answer.content
    assert "文件不能超过20MB" in field_message(answer)


def test_an_oversized_photo_on_the_result_form_is_refused_next_to_the_field(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    actions.do_record_caller_contact(actor=officer, instruction=inst, reached=True)
    big = b"\xff\xd8\xff" + b"\x00" * (settings.LIANDONG_MAX_ATTACHMENT_BYTES + 1)
    answer = client_for(officer).post(
        f"/unit/instructions/{inst.pk}/result",
        {
            "_form": "result",
            "outcome": "resolved",
            "text": "已修复管道",
            "photos": SimpleUploadedFile("big.jpg", big, content_type="image/jpeg"),
        },
        follow=True,
    )
    html = answer.content.decode()
    assert 'data-error-for="photos">文件不能超过20MB' in html  # next to the photos
    assert "已修复管道" in html  # the typed text stays
    inst.refresh_from_db()
    assert inst.state == "signed" and not Attachment.objects.exists()


def test_a_page_sent_as_a_photo_on_the_result_form_is_refused_next_to_the_field(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    actions.do_record_caller_contact(actor=officer, instruction=inst, reached=True)
    answer = client_for(officer).post(
        f"/unit/instructions/{inst.pk}/result",
        {
            "_form": "result",
            "outcome": "resolved",
            "text": "已修复管道",
            "photos": SimpleUploadedFile("a.png", SVG, content_type="image/png"),
        },
        follow=True,
    )
    assert 'data-error-for="photos">只能上传照片' in answer.content.decode()
    inst.refresh_from_db()
    assert inst.state == "signed" and not Attachment.objects.exists()


# --- a quota per instruction -----------------------------------------------------------------------


def test_an_instruction_cannot_be_filled_without_end(db, frozen_at):
    frozen_at(T0)
    inst, officer = working()
    for n in range(upload_limits.MAX_FILES_PER_INSTRUCTION):
        actions.do_upload_attachment(
            actor=officer,
            instruction=inst,
            name=f"{n}.png",
            content_type="image/png",
            data=image_bytes(),
        )
    client = client_for(officer)
    answer = upload(client, inst, image_bytes(), "more.png", "image/png")
    assert answer.status_code == 409, answer.content
    assert answer.json()["error"]["code"] == "attachment_quota"
    assert "已达上限" in answer.json()["error"]["message"]
    seen = client.get(f"/api/v1/instructions/{inst.pk}").json()
    assert "attach" not in seen["allowed_actions"]
    assert Attachment.objects.count() == upload_limits.MAX_FILES_PER_INSTRUCTION


def test_an_instruction_holds_a_limited_number_of_bytes(db, frozen_at, monkeypatch):
    frozen_at(T0)
    inst, officer = working()
    photo = image_bytes(size=(64, 64))
    monkeypatch.setattr(upload_limits, "MAX_BYTES_PER_INSTRUCTION", len(photo) * 2 - 1)
    client = client_for(officer)
    assert upload(client, inst, photo, "1.png", "image/png").status_code == 201
    answer = upload(client, inst, photo, "2.png", "image/png")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "attachment_quota"


# --- unused uploads removed ------------------------------------------------------------------------


def test_uploads_never_used_are_removed_with_their_files_by_the_worker(
    db, frozen_at, django_capture_on_commit_callbacks
):
    from liandong.worker.loop import TASKS, sweep_attachment_files

    assert sweep_attachment_files in TASKS
    frozen_at(T0)
    inst, officer = working()
    with django_capture_on_commit_callbacks(execute=True):
        unused = actions.do_upload_attachment(
            actor=officer,
            instruction=inst,
            name="unused.png",
            content_type="image/png",
            data=image_bytes(),
        )
        scan = actions.do_upload_attachment(
            actor=officer,
            instruction=inst,
            name="scan.pdf",
            content_type="application/pdf",
            data=PDF,
        )
        photo = actions.do_upload_attachment(
            actor=officer,
            instruction=inst,
            name="used.png",
            content_type="image/png",
            data=image_bytes(),
        )
        result_due = inst.deadlines.get(kind="result").due_at
        actions.do_request_extension(
            actor=officer,
            instruction=inst,
            progress="管线已关闭",
            reason="需更换管段",
            proposed_due_at=result_due + timedelta(days=3),
            document_id=scan.pk,
        )
        actions.do_record_caller_contact(actor=officer, instruction=inst, reached=True)
        actions.do_report_result(
            actor=officer,
            instruction=inst,
            outcome="resolved",
            text="已处置",
            attachment_ids=[photo.pk],
        )
    root = settings.MEDIA_ROOT
    paths = {a.pk: root / a.file.name for a in (unused, scan, photo)}
    assert all(p.exists() for p in paths.values())

    clock.advance(upload_limits.UNUSED_KEPT_FOR - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_attachment_files()
    assert Attachment.objects.filter(pk=unused.pk).exists()  # not yet

    clock.advance(timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_attachment_files() >= 1
    assert not Attachment.objects.filter(pk=unused.pk).exists()
    assert not paths[unused.pk].exists()
    assert set(Attachment.objects.values_list("pk", flat=True)) == {scan.pk, photo.pk}
    assert paths[scan.pk].exists() and paths[photo.pk].exists()


def test_the_uploads_of_a_stood_down_instruction_go_soon_after(
    db, frozen_at, django_capture_on_commit_callbacks
):
    frozen_at(T0)
    incident = dispatched(cooperating=("urban-constr",))
    helper = unit_user("urban-constr")
    other = instruction_of(incident, "urban-constr")
    actions.do_sign_instruction(actor=helper, instruction=other)
    with django_capture_on_commit_callbacks(execute=True):
        left = actions.do_upload_attachment(
            actor=helper,
            instruction=other,
            name="a.png",
            content_type="image/png",
            data=image_bytes(),
        )
    actions.do_stand_down_instruction(actor=office_user(), instruction=other, reason="无需协助")
    clock.advance(upload_limits.UNUSED_AFTER_END_KEPT_FOR + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.remove_unused_attachments() == 1
    assert not Attachment.objects.filter(pk=left.pk).exists()
    assert not (settings.MEDIA_ROOT / left.file.name).exists()


def test_a_result_that_uses_an_upload_meanwhile_keeps_it(db, frozen_at):
    """The removal rechecks under the instruction's lock: a row used in the meantime stays."""
    frozen_at(T0)
    inst, officer = working()
    photo = actions.do_upload_attachment(
        actor=officer, instruction=inst, name="a.png", content_type="image/png", data=image_bytes()
    )
    clock.advance(upload_limits.UNUSED_KEPT_FOR + timedelta(hours=1))
    actions.do_record_caller_contact(actor=officer, instruction=inst, reached=True)
    actions.do_report_result(
        actor=officer,
        instruction=inst,
        outcome="resolved",
        text="已处置",
        attachment_ids=[photo.pk],
    )
    assert actions.do_remove_unused_attachments(instruction_id=inst.pk, now=clock.now()) == 0
    assert Attachment.objects.filter(pk=photo.pk).exists()

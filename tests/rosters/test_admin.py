"""The rosters in the administration: lists and filters, the import page (errors next to the file
field, nothing stored on error), the template and the export."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from liandong.rosters.models import DutyShift, UnitContact
from tests.factories import UserFactory
from tests.rosters.conftest import add_contact, add_shift, contact_row, shift_row, unit, workbook

pytestmark = pytest.mark.django_db

IMPORT = "/admin/rosters/dutyshift/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(data: bytes, name: str = "值班表.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, XLSX)


def test_the_lists_open_filter_and_link_to_the_import_page(admin_client, frozen_at):
    frozen_at("2026-12-01T12:00:00+08:00")
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "正在值班的人")
    add_shift("ecology", "2026-12-03 08:00", "2026-12-04 08:00", "后天的人")
    add_contact("housing", "professional", "专业联系人甲")
    listing = admin_client.get("/admin/rosters/dutyshift/")
    page = listing.content.decode()
    assert listing.status_code == 200
    assert "正在值班的人" in page and "后天的人" in page and IMPORT in page and "下载模板" in page
    assert "值班时间" in page and "联动级别" in page
    now = admin_client.get("/admin/rosters/dutyshift/?when=now").content.decode()
    assert "正在值班的人" in now and "后天的人" not in now
    tier = admin_client.get("/admin/rosters/dutyshift/?unit__tier__exact=1").content.decode()
    assert "正在值班的人" in tier
    found = admin_client.get("/admin/rosters/dutyshift/?q=区生态").content.decode()
    assert "后天的人" in found and "正在值班的人" not in found
    by_day = admin_client.get(
        "/admin/rosters/dutyshift/?starts_at__year=2026&starts_at__month=12&starts_at__day=3"
    )
    assert "后天的人" in by_day.content.decode()
    contacts = admin_client.get("/admin/rosters/unitcontact/?kind__exact=professional")
    assert "专业联系人甲" in contacts.content.decode() and IMPORT in contacts.content.decode()
    for url in ("/admin/rosters/dutyshift/add/", "/admin/rosters/unitcontact/add/"):
        assert admin_client.get(url).status_code == 200


def test_the_import_page_explains_the_rules_and_imports_a_good_file(admin_client, admin_user):
    page = admin_client.get(IMPORT)
    text = page.content.decode()
    assert page.status_code == 200
    assert "导入规则" in text and "最晚一班所在日的24点" in text and "全部不导入" in text
    assert (
        "/admin/rosters/dutyshift/template/" in text and "/admin/rosters/dutyshift/export/" in text
    )
    data = workbook([shift_row()], [contact_row()])
    response = admin_client.post(IMPORT, {"file": upload(data)}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/rosters/dutyshift/"
    assert "已导入。值班表：1个单位，新增1班" in response.content.decode()
    shift = DutyShift.objects.get()
    assert shift.person_name == "王强"
    assert shift.history.get().history_user == admin_user
    assert UnitContact.objects.get().person_name == "刘芳"


def test_a_bad_file_shows_every_problem_next_to_the_file_field_and_stores_nothing(admin_client):
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "原值班员")
    data = workbook(
        [shift_row(), shift_row("nowhere"), shift_row(ends="2026-12-01 07:00")],
        [contact_row(kind="联络员")],
    )
    response = admin_client.post(IMPORT, {"file": upload(data)})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors == [
        "文件有3处问题，未导入任何内容",
        "值班表 第3行 A列（单位代码）：单位代码「nowhere」不存在",
        "值班表 第4行 D列（结束时间）：结束时间应晚于开始时间",
        "联系人 第2行 B列（类型）：「联络员」不是有效类型，应为专业联系人、协调员或主管领导",
    ]
    assert "单位代码「nowhere」不存在" in response.content.decode()
    assert list(DutyShift.objects.values_list("person_name", flat=True)) == ["原值班员"]
    assert not UnitContact.objects.exists()
    garbage = admin_client.post(IMPORT, {"file": upload(b"hello", "x.xlsx")})
    assert "不是有效的Excel工作簿" in garbage.content.decode()


def test_replace_from_is_taken_from_the_form_in_beijing_time(admin_client):
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "早一天")
    data = workbook([shift_row(starts="2026-12-02 08:00", ends="2026-12-03 08:00")])
    form = {"file": upload(data), "replace_from": "2026-12-01 08:00"}
    assert admin_client.post(IMPORT, form).status_code == 302
    assert list(DutyShift.objects.values_list("person_name", flat=True)) == ["王强"]


def test_the_template_and_an_export_download_as_workbooks(admin_client):
    template = admin_client.get("/admin/rosters/dutyshift/template/")
    assert template.status_code == 200 and template["Content-Type"] == XLSX
    assert "值班表和联系人模板.xlsx" in unquote(template["Content-Disposition"])
    assert load_workbook(BytesIO(template.content)).sheetnames == ["值班表", "联系人", "说明"]
    add_shift("fire", "2026-12-01 08:00", "2026-12-02 08:00", "导出的人")
    add_shift("ecology", "2026-12-01 08:00", "2026-12-02 08:00", "别的单位")
    add_shift("fire", "2026-12-08 08:00", "2026-12-09 08:00", "范围之外")
    exported = admin_client.get(
        "/admin/rosters/dutyshift/export/",
        {"start": "2026-12-01", "end": "2026-12-07", "units": [unit("fire").pk]},
    )
    assert exported.status_code == 200 and exported["Content-Type"] == XLSX
    assert "值班表_20261201-20261207.xlsx" in unquote(exported["Content-Disposition"])
    rows = list(load_workbook(BytesIO(exported.content))["值班表"].iter_rows(values_only=True))
    assert [r[4] for r in rows[1:] if r[0]] == ["导出的人"]


def test_a_wrong_export_range_is_shown_on_the_page(admin_client):
    response = admin_client.get(
        "/admin/rosters/dutyshift/export/", {"start": "2026-12-07", "end": "2026-12-01"}
    )
    assert response.status_code == 200
    assert response.context["export_form"].errors["end"] == ["结束日期不能早于起始日期"]


def test_the_change_form_applies_the_roster_rules(admin_client):
    response = admin_client.post(
        "/admin/rosters/dutyshift/add/",
        {
            "unit": unit("housing").pk,
            "starts_at_0": "2026-12-01",
            "starts_at_1": "08:00",
            "ends_at_0": "2026-12-02",
            "ends_at_1": "09:00",
            "person_name": "王强",
            "phone": "电话",
            "duty_place": "值班室",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "只有一级联动单位填写值班表" in errors["unit"][0]
    assert errors["ends_at"] == ["一个班次不能超过24小时"]
    assert "联系电话应为5至20位数字" in errors["phone"][0]
    assert not DutyShift.objects.exists()
    response = admin_client.post(
        "/admin/rosters/unitcontact/add/",
        {
            "unit": unit("housing").pk,
            "kind": "coordinator",
            "person_name": "李四",
            "phone": "13800000000",
            "active": "on",
            "position": "0",
        },
    )
    assert response.context["adminform"].form.errors["kind"] == ["协调员只用于三级联动单位"]


def test_people_without_the_permissions_cannot_import(db):
    # The administration is the administrators' only: a dispatcher marked as staff is sent to
    # the login, and an auditor (an administrator without this duty) is refused.
    staff = UserFactory(role="dispatcher", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(IMPORT).status_code == 302
    data = workbook([shift_row()])
    assert client.post(IMPORT, {"file": upload(data)}).status_code == 302
    auditor = Client()
    auditor.force_login(UserFactory(role="auditor", is_staff=True))
    assert auditor.get(IMPORT).status_code == 403
    assert auditor.post(IMPORT, {"file": upload(workbook([shift_row()]))}).status_code == 403
    assert not DutyShift.objects.exists()
    anonymous = Client().get(IMPORT)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

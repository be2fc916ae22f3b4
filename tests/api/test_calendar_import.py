"""Administrators import a year's arrangement from a file, without a release."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liandong.sla.models import HolidayYear


def test_importing_a_year_from_a_file(db, tmp_path):
    path = tmp_path / "2027.yaml"
    path.write_text(
        "2027:\n  holidays: [2027-01-01, 2027-01-02, 2027-01-03]\n  makeup_workdays: []\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_calendar", str(path), "--source", "国办发明电", stdout=out)
    assert "2027: imported" in out.getvalue()
    row = HolidayYear.objects.get(year=2027)
    assert row.holidays == ["2027-01-01", "2027-01-02", "2027-01-03"] and row.source == "国办发明电"


def test_a_wrong_file_imports_nothing_and_says_why(db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "2027:\n  holidays: [2027-01-01]\n  makeup_workdays: [2027-01-06]\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="2027-01-06"):
        call_command("import_calendar", str(path))
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_a_unit_role_needs_a_unit(db):
    from django.core.exceptions import ValidationError

    from tests.factories import UserFactory

    with pytest.raises(ValidationError):
        UserFactory.build(role="duty_officer", unit=None).clean()


def test_importing_a_file_in_the_admin(db):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    assert client.get("/admin/sla/holidayyear/").status_code == 200
    good = SimpleUploadedFile(
        "2027.yaml", b"2027:\n  holidays: [2027-01-01]\n  makeup_workdays: []\n", "text/yaml"
    )
    response = client.post("/admin/sla/holidayyear/import/", {"file": good, "source": "通知"})
    assert response.status_code == 302
    assert HolidayYear.objects.get(year=2027).source == "通知"
    bad = SimpleUploadedFile(
        "2028.yaml",
        b"2028:\n  holidays: [2028-01-01]\n  makeup_workdays: [2028-01-05]\n",
        "text/yaml",
    )
    response = client.post("/admin/sla/holidayyear/import/", {"file": bad})
    assert response.status_code == 200 and "2028-01-05" in response.content.decode()
    assert not HolidayYear.objects.filter(year=2028).exists()

"""Street boundaries imported by an administrator through the admin page: all or nothing, each
problem named next to the file field, the overview drawing a map once they are loaded."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liandong.geography.models import StreetBoundary
from liandong.geography.selectors import district_map, street_at
from liandong.units.models import Unit, UnitKind
from tests.factories import office_user
from tests.geojson_samples import district

URL = "/admin/geography/streetboundary/import/"


def streets() -> list[Unit]:
    return list(Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("pk"))


def admin_client(db) -> Client:
    from liandong.accounts.models import User

    admin = User.objects.create_superuser("geo-admin", password="Str0ng-Passw0rd!")
    client = Client()
    client.force_login(admin)
    return client


def upload(client: Client, data: bytes) -> object:
    return client.post(URL, {"file": SimpleUploadedFile("streets.geojson", data)})


def test_an_import_stores_every_street_and_the_overview_draws_the_map(db) -> None:
    client = admin_client(db)
    names = [s.name for s in streets()]
    page = client.get(URL)
    assert "导入规则" in page.content.decode()
    answer = upload(client, district(names))
    assert answer.status_code == 302
    assert StreetBoundary.objects.count() == len(names)
    collection = district_map()
    assert collection is not None and len(collection["features"]) == len(names)
    assert street_at(123.30 + 0.05 * 2 + 0.01, 41.81) == streets()[2]
    assert street_at(100.0, 30.0) is None
    leader = Client()
    leader.force_login(office_user())
    html = leader.get("/overview/").content.decode()
    assert 'id="district-map"' in html and 'data-chart="map"' in html
    assert 'id="streets"' not in html


def test_streets_are_found_by_administrative_code_and_alias(db) -> None:
    client = admin_client(db)
    first, second = streets()[:2]
    data = district([first.street_code, second.aliases[0]], key="code")
    assert upload(client, data).status_code == 302
    assert set(StreetBoundary.objects.values_list("street", flat=True)) == {first.pk, second.pk}


def test_a_file_with_any_problem_changes_nothing_and_says_why(db) -> None:
    client = admin_client(db)
    names = [s.name for s in streets()]
    upload(client, district(names[:2]))
    before = list(StreetBoundary.objects.values_list("street", "geometry"))
    answer = upload(client, district([names[0], "火星街道", names[0]]))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "第2个要素：没有名称或编码为“火星街道”的街道" in html
    assert f"第3个要素：{names[0]}已在第1个要素中出现" in html
    assert list(StreetBoundary.objects.values_list("street", "geometry")) == before


def test_without_boundaries_the_overview_keeps_its_schematic_grid(db) -> None:
    leader = Client()
    leader.force_login(office_user())
    html = leader.get("/overview/").content.decode()
    assert 'id="streets"' in html and "district-map" not in html

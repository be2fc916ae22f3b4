"""The gazetteer maintained by the system administrator in the admin: import from .xlsx or CSV (all
or nothing, every bad row named next to the file field), merge or replace, export that imports
back unchanged, single edits through the actions; the shipped defaults; and the street of
jurisdiction proposed from the gazetteer, the street boundaries, both or neither."""

from __future__ import annotations

import time
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from liandong.accounts.models import Role
from liandong.geography.models import GazetteerEntry
from liandong.geography.selectors import street_of_jurisdiction
from liandong.geography.services import (
    do_import_street_boundaries,
    do_save_gazetteer_entry,
    load_default_gazetteer,
)
from liandong.units.models import Unit, UnitKind
from tests.factories import UserFactory
from tests.geojson_samples import district

URL = "/admin/geography/gazetteerentry/"
IMPORT = URL + "import/"
EXPORT = URL + "export/"
HEADER = ["名称", "类别", "所属街道", "别名", "备注"]


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def snapshot() -> list[tuple[object, ...]]:
    return list(
        GazetteerEntry.objects.order_by("pk").values_list(
            "pk", "name", "kind", "street__code", "aliases", "note"
        )
    )


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(HEADER), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def upload(client: Client, data: bytes, name: str = "地名库.xlsx", mode: str = "merge") -> object:
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), "mode": mode})


def entry(name: str) -> list[tuple[str, str]]:
    return sorted(GazetteerEntry.objects.filter(name=name).values_list("kind", "street__code"))


# --- The shipped defaults -------------------------------------------------------------------------


def test_the_defaults_hold_the_street_offices_and_a_starter_set(db) -> None:
    assert GazetteerEntry.objects.count() >= 60
    streets = set(Unit.objects.filter(kind=UnitKind.STREET).values_list("code", flat=True))
    named = set(GazetteerEntry.objects.filter(kind="street").values_list("street__code", flat=True))
    assert named == streets and len(streets) == 12
    assert {k for k, _ in entry("沈辽路")} == {"road"} and len(entry("沈辽路")) >= 2
    assert entry("翠湖湾小区") == [("community", "st-nanyanghu")]


def test_loading_the_defaults_again_never_undoes_an_administrators_edits(db) -> None:
    square = GazetteerEntry.objects.get(name="于洪广场")
    nanyanghu = Unit.objects.get(code="st-nanyanghu")
    do_save_gazetteer_entry(
        actor=None, entry=square, name="于洪广场", kind="landmark", street=nanyanghu
    )
    GazetteerEntry.objects.get(name="翠湖湾小区").delete()
    before = snapshot()
    assert load_default_gazetteer() == 0
    assert snapshot() == before


# --- Import ---------------------------------------------------------------------------------------


def test_the_import_page_is_in_chinese_and_states_merge_and_replace(admin_client) -> None:
    html = admin_client.get(IMPORT).content.decode()
    for text in ("导入规则", "导入方式", "合并", "替换", "文件中没有的地名保留", "导出当前地名库"):
        assert text in html
    listing = admin_client.get(URL).content.decode()
    assert "导入地名库" in listing and "导出地名库" in listing


def test_an_xlsx_file_merges_by_name(admin_client) -> None:
    total = GazetteerEntry.objects.count()
    data = xlsx(
        [
            ["测试家园小区", "社区", "陵西街道", "测试家园、测试家园二期", "新建"],
            ["于洪广场", "地标", "210114010", None, "已核实"],  # moved to 南阳湖街道 by its code
            ["测试大街", "道路", "st-lingxi", None, None],
            ["测试大街", "道路", "北陵街道办事处", None, None],
        ]
    )
    answer = upload(admin_client, data)
    assert answer.status_code == 302
    assert entry("测试家园小区") == [("community", "st-lingxi")]
    assert GazetteerEntry.objects.get(name="测试家园小区").alias_list == [
        "测试家园",
        "测试家园二期",
    ]
    assert entry("于洪广场") == [("landmark", "st-nanyanghu")]
    assert entry("测试大街") == [("road", "st-beiling"), ("road", "st-lingxi")]
    assert GazetteerEntry.objects.count() == total + 3  # names not in the file stay
    page = admin_client.get(answer["Location"]).content.decode()
    assert "已导入地名库（合并）：新增3条，更新1条，删除0条，未变0条" in page
    square = GazetteerEntry.objects.get(name="于洪广场")
    assert square.history.first().history_change_reason == "导入地名库"
    # The same file again changes nothing.
    before = snapshot()
    assert upload(admin_client, data).status_code == 302
    assert snapshot() == before


def test_a_csv_file_in_gbk_moves_a_road_to_the_streets_it_lists(admin_client) -> None:
    assert len(entry("沈辽路")) >= 2
    data = csv_bytes([["沈辽路", "道路", "陵西街道", "", ""]], encoding="gbk")
    assert upload(admin_client, data, name="地名库.csv").status_code == 302
    assert entry("沈辽路") == [("road", "st-lingxi")]


def test_replace_makes_the_gazetteer_the_file(admin_client) -> None:
    data = csv_bytes(
        [["翠湖湾小区", "社区", "南阳湖街道", "翠湖湾", ""], ["新街", "道路", "陵西", "", ""]]
    )
    answer = upload(admin_client, data, name="全部.csv", mode="replace")
    assert answer.status_code == 302
    assert sorted(GazetteerEntry.objects.values_list("name", flat=True)) == ["新街", "翠湖湾小区"]


BAD_FILES = [
    (
        "unknown street",
        csv_bytes([["甲小区", "社区", "陵西街道", "", ""], ["乙小区", "社区", "火星街道", "", ""]]),
        ["第3行：没有名称、别名或编码为“火星街道”的街道"],
    ),
    (
        "unknown kind",
        csv_bytes([["甲小区", "小区", "陵西街道", "", ""]]),
        ["第2行：类别“小区”无效，应为街道、社区、道路、地标之一"],
    ),
    (
        "empty name",
        xlsx([["甲小区", "社区", "陵西街道"], [None, "社区", "陵西街道"]]),
        ["第3行：名称不能为空"],
    ),
    (
        "duplicate in the file",
        csv_bytes([["甲小区", "社区", "陵西街道", "", ""], ["甲小区", "地标", "北陵街道", "", ""]]),
        ["第3行：名称“甲小区”与第2行重复"],
    ),
    (
        "wrong header",
        xlsx([["甲小区", "社区", "陵西街道"]], header=["地名", "类别", "街道"]),
        ["第1行：不认识的列“地名”", "第1行：缺少“所属街道”列"],
    ),
    (
        "not a spreadsheet",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        ["文件不是有效的Excel工作簿（.xlsx）或CSV文件"],
    ),
    ("a broken workbook", b"PK\x03\x04 broken", ["文件不是有效的Excel工作簿（.xlsx）"]),
]


@pytest.mark.parametrize(
    ("data", "expected"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_a_bad_file_is_refused_whole_with_each_row_named_next_to_the_field(
    admin_client, data: bytes, expected: list[str], mode: str
) -> None:
    before = snapshot()
    answer = upload(admin_client, data, mode=mode)
    assert answer.status_code == 200
    html = answer.content.decode()
    errors = html[html.index('class="errorlist') :]
    errors = errors[: errors.index("</ul>")]
    for message in expected:
        assert message in errors
    assert snapshot() == before  # not even the good rows
    assert "甲小区" not in {n for _, n, *_ in snapshot()}


def test_only_the_system_administrator_imports(db) -> None:
    for role in (Role.SECURITY_ADMIN, Role.AUDITOR):
        client = Client()
        client.force_login(UserFactory(role=role, is_staff=True))
        data = csv_bytes([["甲小区", "社区", "陵西街道", "", ""]])
        assert upload(client, data).status_code == 403
        assert client.get(EXPORT).status_code == 403
    assert not GazetteerEntry.objects.filter(name="甲小区").exists()


# --- Export ---------------------------------------------------------------------------------------


def test_the_export_imports_back_unchanged(admin_client) -> None:
    answer = admin_client.get(EXPORT)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    sheet = load_workbook(BytesIO(content))["地名库"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) == GazetteerEntry.objects.count() + 1
    assert ("翠湖湾小区", "社区", "南阳湖街道", "翠湖湾", "待核实") in rows
    before = snapshot()
    assert upload(admin_client, content, mode="replace").status_code == 302
    assert snapshot() == before
    # Into an empty gazetteer it brings back the same entries.
    described = sorted(s[1:] for s in before)
    GazetteerEntry.objects.all().delete()
    assert upload(admin_client, content, mode="replace").status_code == 302
    assert sorted(s[1:] for s in snapshot()) == described


# --- Single edits in the admin --------------------------------------------------------------------


def test_an_entry_added_in_the_admin_goes_through_the_checks(admin_client) -> None:
    lingxi = Unit.objects.get(code="st-lingxi")
    form = {
        "name": "测试花园",
        "kind": "community",
        "street": lingxi.pk,
        "aliases": "测花园\n",
        "note": "",
    }
    assert admin_client.post(URL + "add/", form).status_code == 302
    added = GazetteerEntry.objects.get(name="测试花园")
    assert added.key == "测试花园" and added.alias_list == ["测花园"]
    again = admin_client.post(URL + "add/", {**form, "name": "测试 花园", "kind": "landmark"})
    assert again.status_code == 200
    assert "只有道路可以分属多个街道" in again.content.decode()
    assert street_of_jurisdiction(address="测花园1号").street_code == "st-lingxi"


# --- The street of jurisdiction -------------------------------------------------------------------


def streets() -> list[Unit]:
    return list(Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("pk"))


def inside(index: int) -> tuple[float, float]:
    """A point inside the index-th square of tests.geojson_samples.district."""
    return 123.30 + 0.05 * index + 0.01, 41.81


def load_boundaries() -> list[Unit]:
    found = streets()
    do_import_street_boundaries(actor=None, data=district([s.name for s in found]))
    return found


def test_from_the_gazetteer_only(db) -> None:
    decision = street_of_jurisdiction(address="沈阳市于洪区翠湖湾小区5号楼")
    assert (decision.street_code, decision.street_name) == ("st-nanyanghu", "南阳湖街道")
    assert decision.reason == "地址中的“翠湖湾小区”属于南阳湖街道"
    assert decision.source == "gazetteer" and decision.matched == "翠湖湾小区"
    # a street office's alias, from the units
    lingxi = Unit.objects.get(code="st-lingxi")
    lingxi.aliases = [*lingxi.aliases, "陵西办"]
    lingxi.save()
    assert street_of_jurisdiction(address="陵西办后院").street_code == "st-lingxi"


def test_from_the_polygons_only(db) -> None:
    found = load_boundaries()
    lon, lat = inside(3)
    decision = street_of_jurisdiction(address="某某路1号", lon=lon, lat=lat)
    assert decision.street_code == found[3].code and decision.source == "boundary"
    assert decision.reason == f"坐标位于{found[3].name}的边界内（地址未匹配到地名库）"


def test_both_agreeing_and_disagreeing(db) -> None:
    found = load_boundaries()
    index = next(i for i, s in enumerate(found) if s.code == "st-nanyanghu")
    lon, lat = inside(index)
    agreed = street_of_jurisdiction(address="翠湖湾小区", lon=lon, lat=lat)
    assert agreed.street_code == "st-nanyanghu" and agreed.source == "gazetteer+boundary"
    assert agreed.reason.endswith("；坐标也位于南阳湖街道的边界内")
    other = found[(index + 1) % len(found)]
    lon, lat = inside((index + 1) % len(found))
    disagreed = street_of_jurisdiction(address="翠湖湾小区", lon=lon, lat=lat)
    assert disagreed.street_code is None
    assert disagreed.candidates == ("st-nanyanghu", other.code)
    assert disagreed.reason.startswith("无法确定属地街道：地址指向南阳湖街道")
    assert f"坐标却位于{other.name}的边界内，两者不一致" in disagreed.reason


def test_neither_deciding_says_so(db) -> None:
    decision = street_of_jurisdiction(address="某某路1号")
    assert decision.street_code is None
    assert decision.reason == "无法确定属地街道：地址未匹配到地名库；未提供坐标"
    no_polygons = street_of_jurisdiction(address="某某路1号", lon=123.31, lat=41.81)
    assert no_polygons.reason == "无法确定属地街道：地址未匹配到地名库；尚未导入街道边界"
    load_boundaries()
    outside = street_of_jurisdiction(address="某某路1号", lon=100.0, lat=30.0)
    assert outside.street_code is None
    assert "不在任何已导入的街道边界内" in outside.reason


def test_an_import_is_seen_by_the_next_proposal_and_proposals_are_fast(admin_client) -> None:
    assert street_of_jurisdiction(address="测试家园").street_code is None
    upload(admin_client, csv_bytes([["测试家园", "社区", "北陵街道", "", ""]]))
    assert street_of_jurisdiction(address="测试家园").street_code == "st-beiling"
    load_boundaries()
    started = time.perf_counter()
    for _ in range(50):
        street_of_jurisdiction(address="于洪区沈辽路与洪湖二街交叉口", lon=123.36, lat=41.81)
    assert (time.perf_counter() - started) / 50 < 0.020

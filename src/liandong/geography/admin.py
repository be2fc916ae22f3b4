"""The district's geography in the administration: street boundaries (the list, and one page to
import a GeoJSON file) and the gazetteer (the list, edits, import from .xlsx or CSV, export)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from simple_history.admin import SimpleHistoryAdmin

from liandong import clock
from liandong.audit.services import record_export
from liandong.common.admin import show_import_errors
from liandong.common.errors import InvalidInput
from liandong.geography.gazetteer_file import RULES, split_aliases
from liandong.geography.geojson import KEY_PROPERTIES
from liandong.geography.models import GazetteerEntry, StreetBoundary
from liandong.geography.selectors import entry_problems, gazetteer_rows, gazetteer_xlsx
from liandong.geography.services import (
    do_delete_gazetteer_entries,
    do_import_gazetteer,
    do_import_street_boundaries,
    do_save_gazetteer_entry,
)
from liandong.units.models import Unit, UnitKind

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class BoundaryImportForm(forms.Form):
    file = forms.FileField(
        label="街道边界文件（GeoJSON）",
        help_text="FeatureCollection，每个要素一个街道，Polygon或MultiPolygon，坐标为[经度, 纬度]",
    )


@admin.register(StreetBoundary)
class StreetBoundaryAdmin(admin.ModelAdmin):
    list_display = ("street", "imported_at", "imported_by", "source_name")
    readonly_fields = ("street", "geometry", "imported_at", "imported_by", "source_name")
    change_list_template = "admin/geography/streetboundary/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # boundaries come from an import

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an import replaces them all

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        custom = [path("import/", view(self.import_view), name="geography_streetboundary_import")]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_import = request.user.has_perms(
            ["geography.add_streetboundary", "geography.delete_streetboundary"]
        )
        form = BoundaryImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if not may_import:
                raise PermissionDenied
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > MAX_UPLOAD_BYTES:
                    form.add_error("file", "文件不能超过20MB")
                else:
                    try:
                        result = do_import_street_boundaries(
                            actor=request.user,  # type: ignore[arg-type]
                            data=upload.read(),
                            source_name=upload.name or "",
                        )
                    except InvalidInput as exc:
                        show_import_errors(form, exc)
                    else:
                        messages.success(request, result.message())
                        return redirect("admin:geography_streetboundary_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "导入街道边界",
            "form": form,
            "opts": self.model._meta,
            "may_import": may_import,
            "key_properties": "、".join(KEY_PROPERTIES),
        }
        return render(request, "admin/geography/streetboundary/import.html", context)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_GAZETTEER_BYTES = 5 * 1024 * 1024
MERGE, REPLACE = "merge", "replace"


class GazetteerImportForm(forms.Form):
    file = forms.FileField(
        label="地名库文件（.xlsx或CSV）",
        help_text="列：名称、类别、所属街道、别名、备注；可先导出当前地名库，修改后再导入",
    )
    mode = forms.ChoiceField(
        label="导入方式",
        choices=[
            (MERGE, "合并：文件中的地名新增或更新，文件中没有的地名保留"),
            (REPLACE, "替换：整个地名库以文件为准，文件中没有的地名删除"),
        ],
        initial=MERGE,
        widget=forms.RadioSelect,
        help_text="通常选“合并”；只有文件是完整的地名库（如修改过的导出文件）时才选“替换”",
    )


class GazetteerEntryForm(forms.ModelForm):
    class Meta:
        model = GazetteerEntry
        fields = ("name", "kind", "street", "aliases", "note")
        help_texts = {
            "name": "地址中出现的写法，如 翠湖湾小区、沈辽路、于洪广场",
            "aliases": "每行一个；地址中出现任一别名也视为该地名",
            "street": "只有道路可以分属多个街道：同一道路在每个经过的街道各录一条",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["street"]
        field.queryset = Unit.objects.filter(kind=UnitKind.STREET, active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        problems = entry_problems(
            name=data.get("name", ""),
            kind=data.get("kind", ""),
            street=data.get("street"),
            aliases=split_aliases(data.get("aliases", "")),
            note=data.get("note", ""),
            exclude_pk=self.instance.pk,
        )
        for problem in problems:
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        return data


@admin.register(GazetteerEntry)
class GazetteerEntryAdmin(SimpleHistoryAdmin):
    form = GazetteerEntryForm
    list_display = ("name", "kind", "street", "alias_text", "note", "updated_at")
    list_filter = ("kind", ("street", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "aliases", "note", "street__name")
    list_select_related = ("street",)
    change_list_template = "admin/geography/gazetteerentry/change_list.html"

    @admin.display(description="别名")
    def alias_text(self, obj: GazetteerEntry) -> str:
        return "、".join(obj.alias_list)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        custom = [
            path("import/", view(self.import_view), name="geography_gazetteerentry_import"),
            path("export/", view(self.export_view), name="geography_gazetteerentry_export"),
        ]
        return custom + super().get_urls()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = do_save_gazetteer_entry(
            actor=request.user,  # type: ignore[arg-type]
            entry=obj if change else None,
            name=data["name"],
            kind=data["kind"],
            street=data["street"],
            aliases=split_aliases(data.get("aliases", "")),
            note=data.get("note", ""),
        )
        obj.pk, obj.key, obj.aliases = saved.pk, saved.key, saved.aliases
        obj.updated_at = saved.updated_at

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_gazetteer_entries(actor=request.user, entries=[obj])  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        do_delete_gazetteer_entries(actor=request.user, entries=list(queryset))  # type: ignore[arg-type]

    def _may_import(self, request: HttpRequest) -> bool:
        """An import adds, changes and deletes entries."""
        actions = ("add", "change", "delete")
        return request.user.has_perms([f"geography.{a}_gazetteerentry" for a in actions])

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_import = self._may_import(request)
        form = GazetteerImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if not may_import:
                raise PermissionDenied
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > MAX_GAZETTEER_BYTES:
                    form.add_error("file", "文件不能超过5MB")
                else:
                    try:
                        result = do_import_gazetteer(
                            actor=request.user,  # type: ignore[arg-type]
                            data=upload.read(),
                            replace=form.cleaned_data["mode"] == REPLACE,
                        )
                    except InvalidInput as exc:
                        show_import_errors(form, exc)
                    else:
                        messages.success(request, result.message())
                        return redirect("admin:geography_gazetteerentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "导入地名库",
            "form": form,
            "opts": self.model._meta,
            "may_import": may_import,
            "rules": RULES,
            "count": GazetteerEntry.objects.count(),
        }
        return render(request, "admin/geography/gazetteerentry/import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        content = gazetteer_xlsx()
        name = f"地名库_{clock.now():%Y%m%d}.xlsx"
        record_export(name=name, rows=len(gazetteer_rows()))
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, name) or ""
        return response

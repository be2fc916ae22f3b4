"""Street boundaries in the administration: the list, and one page to import a GeoJSON file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from liandong.common.admin import show_import_errors
from liandong.common.errors import InvalidInput
from liandong.geography.geojson import KEY_PROPERTIES
from liandong.geography.models import StreetBoundary
from liandong.geography.services import do_import_street_boundaries

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

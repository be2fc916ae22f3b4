"""The rosters in the administration: shifts and contacts (lists, filters, history) and one page to
import a workbook, download the template and export a date range."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from simple_history.admin import SimpleHistoryAdmin

from liandong import clock
from liandong.common.admin import show_import_errors
from liandong.common.errors import InvalidInput
from liandong.rosters import rules
from liandong.rosters.models import DutyShift, UnitContact
from liandong.rosters.selectors import active_linkage_units
from liandong.rosters.services import (
    do_import_roster_xlsx,
    export_roster_xlsx,
    roster_template_xlsx,
)
from liandong.rosters.workbook import IMPORT_RULES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_EXPORT_DAYS = 366
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RosterImportForm(forms.Form):
    file = forms.FileField(label="值班表文件（.xlsx）", help_text="按模板填写的Excel工作簿")
    replace_from = forms.DateTimeField(
        label="替换起点",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="可不填。填写后（北京时间，如 2026-12-01 00:00），值班表中各单位从此时起开始的原有"
        "班次也一并替换（至文件中该单位最晚一班所在日的24点）",
    )


class RosterExportForm(forms.Form):
    start = forms.DateField(label="起始日期", widget=DATE_INPUT)
    end = forms.DateField(label="结束日期", help_text="含这一天", widget=DATE_INPUT)
    units = forms.ModelMultipleChoiceField(
        label="单位",
        queryset=active_linkage_units(),
        required=False,
        help_text="不选则导出全部单位",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "结束日期不能早于起始日期")
        elif start and end and (end - start).days >= MAX_EXPORT_DAYS:
            self.add_error("end", f"一次最多导出{MAX_EXPORT_DAYS}天")
        return data


def _beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=clock.BEIJING)


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    return response


class DutyTimeFilter(admin.SimpleListFilter):
    title = "值班时间"
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("now", "正在值班"),
            ("today", "今天"),
            ("tomorrow", "明天"),
            ("week", "未来7天"),
            ("past", "已结束"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = clock.now()
        today = rules.day_start(now)
        spans = {
            "today": (today, today + timedelta(days=1)),
            "tomorrow": (today + timedelta(days=1), today + timedelta(days=2)),
            "week": (now, now + timedelta(days=7)),
        }
        if self.value() == "now":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        if self.value() in spans:
            low, high = spans[self.value() or ""]
            return queryset.filter(starts_at__lt=high, ends_at__gt=low)
        return queryset


@admin.register(DutyShift)
class DutyShiftAdmin(SimpleHistoryAdmin):
    list_display = (
        "unit",
        "starts_at",
        "ends_at",
        "person_name",
        "phone",
        "duty_place",
        "duty_vehicle",
        "user",
    )
    list_filter = (
        DutyTimeFilter,
        "unit__tier",
        ("unit", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "starts_at"
    search_fields = ("person_name", "phone", "unit__name", "unit__code", "duty_place")
    list_select_related = ("unit", "user")
    autocomplete_fields = ("unit", "user")
    change_list_template = "admin/rosters/dutyshift/change_list.html"

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        custom = [
            path("import/", view(self.import_view), name="rosters_dutyshift_import"),
            path("template/", view(self.template_view), name="rosters_dutyshift_template"),
            path("export/", view(self.export_view), name="rosters_dutyshift_export"),
        ]
        return custom + super().get_urls()

    def _may_import(self, request: HttpRequest) -> bool:
        """An import adds and deletes shifts and contacts."""
        needed = [
            f"rosters.{a}_{m}" for a in ("add", "delete") for m in ("dutyshift", "unitcontact")
        ]
        return request.user.has_perms(needed)

    def _page(
        self, request: HttpRequest, form: RosterImportForm, export: RosterExportForm
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "导入、导出值班表和联系人",
            "form": form,
            "export_form": export,
            "rules": IMPORT_RULES,
            "opts": self.model._meta,
            "may_import": self._may_import(request),
        }
        return render(request, "admin/rosters/dutyshift/import.html", context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RosterImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if not self._may_import(request):
                raise PermissionDenied
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > MAX_UPLOAD_BYTES:
                    form.add_error("file", "文件不能超过5MB")
                else:
                    try:
                        summary = do_import_roster_xlsx(
                            actor=request.user,  # type: ignore[arg-type]
                            data=upload.read(),
                            replace_from=form.cleaned_data.get("replace_from"),
                        )
                    except InvalidInput as exc:
                        show_import_errors(form, exc)
                    else:
                        messages.success(request, summary.message())
                        return redirect("admin:rosters_dutyshift_changelist")
        today = clock.now().date()
        export = RosterExportForm(initial={"start": today, "end": today + timedelta(days=6)})
        return self._page(request, form, export)

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _xlsx_response(roster_template_xlsx(), "值班表和联系人模板.xlsx")

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        export = RosterExportForm(request.GET)
        if not export.is_valid():
            return self._page(request, RosterImportForm(), export)
        start, end = export.cleaned_data["start"], export.cleaned_data["end"]
        units = export.cleaned_data["units"] or None
        content = export_roster_xlsx(
            start=_beijing_midnight(start),
            end=_beijing_midnight(end + timedelta(days=1)),
            units=list(units) if units else None,
        )
        return _xlsx_response(content, f"值班表_{start:%Y%m%d}-{end:%Y%m%d}.xlsx")


@admin.register(UnitContact)
class UnitContactAdmin(SimpleHistoryAdmin):
    list_display = (
        "unit",
        "kind",
        "person_name",
        "phone",
        "contact_method",
        "user",
        "active",
        "position",
    )
    list_filter = ("kind", "active", "unit__tier", ("unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("person_name", "phone", "unit__name", "unit__code", "contact_method")
    list_select_related = ("unit", "user")
    autocomplete_fields = ("unit", "user")
    change_list_template = "admin/rosters/unitcontact/change_list.html"

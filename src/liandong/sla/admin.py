from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin

from liandong.common.errors import InvalidInput
from liandong.sla.models import CalendarRecompute, EscalationStep, HolidayYear, TimeLimitSetting
from liandong.sla.services import do_import_calendar_yaml, do_save_holiday_year
from liandong.sla.workcal import CalendarError, parse_year_arrangement


def _dates(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").replace("\n", ",").split(",") if p.strip()]


class HolidayYearForm(forms.ModelForm):
    holidays_text = forms.CharField(
        label="放假日期",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="每个放假日一行或用逗号分隔，格式 2027-01-01；假期中的周末也要列出",
    )
    makeup_text = forms.CharField(
        label="调休上班日期",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="需要上班的周六、周日",
    )

    class Meta:
        model = HolidayYear
        fields = ("year", "source")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["holidays_text"].initial = "\n".join(self.instance.holidays)
            self.fields["makeup_text"].initial = "\n".join(self.instance.makeup_workdays)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            parse_year_arrangement(
                data.get("year") or 0,
                _dates(data.get("holidays_text", "")),
                _dates(data.get("makeup_text", "")),
            )
        except CalendarError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label="节假日安排文件（YAML）",
        help_text="格式同系统自带的 calendar-cn.yaml：按年份列出 holidays 和 makeup_workdays",
    )
    source = forms.CharField(label="依据", required=False, max_length=200)


@admin.register(HolidayYear)
class HolidayYearAdmin(SimpleHistoryAdmin):
    form = HolidayYearForm
    list_display = ("year", "source", "updated_at")
    change_list_template = "admin/sla/holidayyear/change_list.html"

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="sla_holidayyear_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8")
                years = do_import_calendar_yaml(text=text, source=form.cleaned_data["source"])
            except UnicodeDecodeError:
                form.add_error("file", "文件应为UTF-8编码")
            except InvalidInput as exc:
                for field in exc.fields:
                    form.add_error("file", field.message)
            else:
                messages.success(
                    request, f"已导入：{'、'.join(str(y) for y in years)}年，{_recompute_note()}"
                )
                return redirect("admin:sla_holidayyear_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "导入节假日安排",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/sla/holidayyear/import.html", context)

    def save_model(self, request: HttpRequest, obj: HolidayYear, form: Any, change: bool) -> None:
        try:
            saved = do_save_holiday_year(
                year=form.cleaned_data["year"],
                holidays=_dates(form.cleaned_data["holidays_text"]),
                makeup_workdays=_dates(form.cleaned_data.get("makeup_text", "")),
                source=form.cleaned_data.get("source", ""),
            )
        except InvalidInput as exc:  # pragma: no cover - the form validated already
            raise forms.ValidationError(exc.message) from exc
        obj.pk = saved.pk
        # the deadlines are recomputed by the worker, not in this request
        messages.info(request, f"已保存，{_recompute_note()}")


def _recompute_note() -> str:
    job = CalendarRecompute.objects.first()
    if job is None:  # pragma: no cover - every save writes one
        return ""
    return f"{job.total}条未完成时限将由后台重新计算（进度见“时限重新计算”）"


@admin.register(CalendarRecompute)
class CalendarRecomputeAdmin(admin.ModelAdmin):
    """The recompute jobs after calendar edits, with their progress; read only (the worker
    writes them)."""

    list_display = ("requested_at", "reason", "state", "progress", "started_at", "finished_at")
    list_filter = ("state",)
    readonly_fields = (
        "requested_at",
        "reason",
        "state",
        "total",
        "done",
        "moved",
        "cursor",
        "started_at",
        "finished_at",
    )

    @admin.display(description="进度")
    def progress(self, obj: CalendarRecompute) -> str:
        return obj.progress

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TimeLimitSetting)
class TimeLimitSettingAdmin(SimpleHistoryAdmin):
    list_display = (
        "level",
        "sign_amount",
        "sign_unit",
        "feedback_amount",
        "feedback_unit",
        "result_amount",
        "result_unit",
        "caller_contact_minutes",
        "escalate_after_minutes",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return TimeLimitSetting.objects.count() < 2

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EscalationStep)
class EscalationStepAdmin(SimpleHistoryAdmin):
    """The escalation ladder: which stage of a deadline tells whom, per level."""

    list_display = ("level", "stage", "audience")
    list_filter = ("level", "stage", "audience")

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from liandong.common.errors import InvalidInput
from liandong.sla.models import HolidayYear, TimeLimitSetting
from liandong.sla.services import do_save_holiday_year
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


@admin.register(HolidayYear)
class HolidayYearAdmin(SimpleHistoryAdmin):
    form = HolidayYearForm
    list_display = ("year", "source", "updated_at")

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
        "warning_share",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return TimeLimitSetting.objects.count() < 2

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

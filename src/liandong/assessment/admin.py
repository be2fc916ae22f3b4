from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from liandong.assessment.models import AssessmentWeights, Bulletin
from liandong.common.admin import ReadOnlyAdmin


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(SimpleHistoryAdmin):
    """The weights of the monthly score; every change is kept in the history (修改历史)."""

    list_display = ("__str__", "sign", "feedback", "result", "contact", "satisfaction")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row of weights: added once (by whoever may add at all), then only changed.
        return super().has_add_permission(request) and not AssessmentWeights.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ("month", "title", "state", "number", "published_at")

"""Incidents in the admin are for looking only: their state changes through actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from liandong.common.admin import ReadOnlyAdmin
from liandong.incidents.models import Deadline, Event, Incident, Instruction
from liandong.incidents.privacy import mask_name, mask_phone


class InstructionInline(admin.TabularInline):
    model = Instruction
    fields = ("unit", "role", "level", "tier", "state", "dispatched_at", "signed_at", "result_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = Event
    fields = ("occurred_at", "actor_label", "summary")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Administrators do not call callers: the caller's name and phone only masked here, the
    stored requests not at all, and no search by phone (privacy.py)."""

    list_display = ("incident_id", "status", "received_at", "address", "incident_class", "level")
    list_filter = ("status", "source", "incident_class", "level")
    search_fields = ("incident_id", "address", "content")
    exclude = ("caller_name", "caller_phone", "raw_request", "raw_body")
    readonly_fields = ("masked_caller",)
    inlines = [InstructionInline, EventInline]

    @admin.display(description="报警人（脱敏）")
    def masked_caller(self, obj: Incident) -> str:
        return f"{mask_name(obj.caller_name)} {mask_phone(obj.caller_phone)}".strip()


class DeadlineInline(admin.TabularInline):
    model = Deadline
    fields = ("kind", "state", "due_at", "original_due_at", "provisional", "completed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Instruction)
class InstructionAdmin(ReadOnlyAdmin):
    list_display = ("incident", "unit", "role", "level", "state", "dispatched_at")
    list_filter = ("state", "role", "level", "unit")
    inlines = [DeadlineInline]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "incident", "kind", "actor_label", "summary")
    list_filter = ("kind",)
    search_fields = ("incident__incident_id", "summary")

"""Incidents in the admin are for looking only: their state changes through actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from liandong.common.admin import ReadOnlyAdmin
from liandong.incidents.models import Deadline, Event, Incident, Instruction


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
    list_display = ("incident_id", "status", "received_at", "address", "incident_class", "level")
    list_filter = ("status", "source", "incident_class", "level")
    search_fields = ("incident_id", "address", "content", "caller_phone")
    inlines = [InstructionInline, EventInline]


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

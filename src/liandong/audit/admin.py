"""The audit administrator reads the trail here; nobody edits or deletes it (read-only admin, and
on PostgreSQL the database refuses it as well)."""

from __future__ import annotations

from django.contrib import admin

from liandong.audit.models import AuditEntry, AuditLink
from liandong.audit.services import covered_events
from liandong.common.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "kind", "actor_label", "auth_method", "ip", "summary")
    list_filter = ("kind", "auth_method")
    search_fields = ("summary", "actor_label", "target", "ip", "request_id")
    date_hierarchy = "at"
    show_full_result_count = False
    fields = (
        *(f.name for f in AuditEntry._meta.concrete_fields if f.name not in ("id", "data")),
        "events_listed",
        "data",
    )
    readonly_fields = ("events_listed",)

    @admin.display(description="所记录的事件")
    def events_listed(self, entry: AuditEntry) -> str:
        """How many timeline events the entry records, and their numbers' range (ADR 29)."""
        listed = [pk for pk, _ in covered_events(entry.event_id, entry.kind, entry.data)]
        if not listed:
            return "—"
        if len(listed) == 1:
            return f"事件#{listed[0]}"
        return f"共{len(listed)}个事件，编号#{min(listed)}至#{max(listed)}（详见下方“详情”）"


@admin.register(AuditLink)
class AuditLinkAdmin(ReadOnlyAdmin):
    list_display = ("seq", "entry", "algorithm", "hash")
    show_full_result_count = False

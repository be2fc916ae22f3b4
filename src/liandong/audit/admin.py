"""The audit administrator reads the trail here; nobody edits or deletes it (read-only admin, and
on PostgreSQL the database refuses it as well)."""

from __future__ import annotations

from django.contrib import admin

from liandong.audit.models import AuditEntry, AuditLink
from liandong.common.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "kind", "actor_label", "auth_method", "ip", "summary")
    list_filter = ("kind", "auth_method")
    search_fields = ("summary", "actor_label", "target", "ip", "request_id")
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(AuditLink)
class AuditLinkAdmin(ReadOnlyAdmin):
    list_display = ("seq", "entry", "algorithm", "hash")
    show_full_result_count = False

"""Admin building blocks shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from liandong.common.errors import InvalidInput


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through the product's actions: the admin shows them, never edits."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: How many problems of a refused import file are listed next to the file field.
MAX_ERRORS_SHOWN = 200


def show_import_errors(form: forms.Form, exc: InvalidInput, field: str = "file") -> None:
    """A refused import's message and each problem (row or feature) next to the file field."""
    form.add_error(field, exc.message)
    for problem in exc.fields[:MAX_ERRORS_SHOWN]:
        form.add_error(field, problem.message)
    if len(exc.fields) > MAX_ERRORS_SHOWN:
        form.add_error(field, f"另有{len(exc.fields) - MAX_ERRORS_SHOWN}处问题未列出")

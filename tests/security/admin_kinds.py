"""The admin under /admin/: every URL pattern is of one known kind, and one rule covers each kind:
only an active staff user (the system administrator) gets past the admin's own gate; everyone
else, signed in or not, is sent to the admin's login page, and a POST changes nothing.

Django's own kinds (the site's pages and each registered model's changelist, add, change, delete,
history, and django-simple-history's historical record) are recognised by name; views written in
this project (imports, exports, templates, the password form of the user admin) are listed by
name, so that a new one cannot appear without someone deciding it belongs behind the same gate.
"""

from __future__ import annotations

import re

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.security.table import Pattern

#: The admin site's own pages.
SITE_PAGES = {
    "index": "the admin's start page",
    "login": "the admin's sign-in form (public: see ADMIN_PUBLIC)",
    "logout": "signing out of the admin",
    "password_change": "an administrator changes their password",
    "password_change_done": "…and is told it is done",
    "autocomplete": "the JSON search behind the admin's autocomplete fields",
    "jsi18n": "the admin's translated JavaScript strings",
    "view_on_site": "the admin's redirect to an object's page on the site",
    "app_list": "one application's models",
}
ADMIN_PUBLIC = {"login"}

#: Each registered model's pages (Django's ModelAdmin, django-simple-history's SimpleHistoryAdmin).
MODEL_KINDS = ("changelist", "add", "change", "delete", "history", "simple_history")
MODEL_PAGE = re.compile(
    r"^(?P<app>[a-z0-9]+)_(?P<model>[a-z0-9]+)_(?P<kind>" + "|".join(MODEL_KINDS) + ")$"
)

#: Views written in this project, by name (each must be wrapped in admin_site.admin_view).
CUSTOM = {
    "auth_user_password_change": "an administrator sets another person's password",
    "sla_holidayyear_import": "import a year's holiday arrangement",
    "rosters_dutyshift_import": "import the duty roster from a spreadsheet",
    "rosters_dutyshift_template": "download the roster spreadsheet template",
    "rosters_dutyshift_export": "export the duty roster",
    "geography_streetboundary_import": "import the streets' boundaries (GeoJSON)",
    "geography_gazetteerentry_import": "import the gazetteer (.xlsx or CSV)",
    "geography_gazetteerentry_export": "export the gazetteer (.xlsx)",
    "triage_modelversion_train": "train a new triage model from the office's decisions",
    "triage_modelversion_rollback": "go back to the previous triage model",
}

#: Patterns without a name: the redirect from an object's bare URL to its change page, and the
#: admin's catch-all (adds a missing slash, or answers "not found" to an administrator).
OBJECT_REDIRECT = re.compile(r"^admin/(?P<app>[a-z0-9]+)/(?P<model>[a-z0-9]+)/<path:object_id>/$")
CATCH_ALL = "admin/(?P<url>.*)$"


def registered() -> set[tuple[str, str]]:
    return {(m._meta.app_label, m._meta.model_name or "") for m in admin.site._registry}


def kind_of(pattern: Pattern) -> str | None:
    """The kind of an admin URL pattern, or None when it is of no known kind."""
    name = pattern.name
    if name is None:
        if pattern.route == CATCH_ALL:
            return "catch_all"
        found = OBJECT_REDIRECT.match(pattern.route)
        if found and (found["app"], found["model"]) in registered():
            return "object_redirect"
        return None
    if name in SITE_PAGES:
        return name
    if name in CUSTOM:
        return "custom"
    found = MODEL_PAGE.match(name)
    if found and (found["app"], found["model"]) in registered():
        return found["kind"]
    return None


def model_of(pattern: Pattern) -> type | None:
    for regex, text in ((MODEL_PAGE, pattern.name or ""), (OBJECT_REDIRECT, pattern.route)):
        found = regex.match(text)
        if found:
            for model in admin.site._registry:
                if (model._meta.app_label, model._meta.model_name) == (
                    found["app"],
                    found["model"],
                ):
                    return model
    return None


def admin_url(pattern: Pattern) -> str:
    """A concrete URL for the pattern: an existing object's id where one exists, else "1"."""
    model = model_of(pattern)
    first = model._default_manager.order_by("pk").first() if model is not None else None  # type: ignore[attr-defined]
    object_id = str(first.pk) if first is not None else "1"
    if pattern.name is None:
        if pattern.route == CATCH_ALL:
            return "/admin/no-such-page/"
        return "/" + pattern.route.replace("<path:object_id>", object_id)
    if pattern.name == "app_list":
        return reverse("admin:app_list", kwargs={"app_label": "incidents"})
    for count in range(3):
        try:
            return reverse(f"admin:{pattern.name}", args=[object_id] * count)
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a URL for admin:{pattern.name}")

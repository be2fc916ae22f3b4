"""Separation of duties (三员分立), as data: which administrator may do what in the administration.

- The system administrator (系统管理员) keeps units, people (names, units, phones), reference data
  and settings.
- The security administrator (安全管理员) keeps roles, passwords, activation, lock-outs, second
  factors and API tokens.
- The audit administrator (安全审计员) reads the audit trail and the sign-in records.

None can do another's work, and nobody can change or delete the trail (its admin is read-only and
the database refuses it). Permissions follow this table, not Django's per-user permissions or the
superuser flag (`User.has_perm` ignores `is_superuser`). Pure Python."""

from __future__ import annotations

from liandong.accounts.models import Role

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = frozenset({VIEW, ADD, CHANGE, DELETE})

ADMIN_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})

#: Models outside the system administrator's domain, with what each other duty may do.
_SECURITY: dict[str, frozenset[str]] = {
    "accounts.user": frozenset({VIEW, CHANGE}),
    "accounts.apitoken": frozenset({VIEW, ADD, CHANGE}),
    "accounts.loginattempt": frozenset({VIEW}),
}
_AUDIT: dict[str, frozenset[str]] = {
    "audit.auditentry": frozenset({VIEW}),
    "audit.auditlink": frozenset({VIEW}),
    "accounts.loginattempt": frozenset({VIEW}),
}
#: The system administrator creates and edits people, but not their roles or passwords.
_SYSTEM_ON_SECURITY: dict[str, frozenset[str]] = {"accounts.user": frozenset({VIEW, ADD, CHANGE})}
_NOT_SYSTEM_APPS = frozenset({"audit"})

#: The fields of a person each duty may edit (the rest are read-only to them).
USER_FIELDS_SYSTEM = ("username", "first_name", "last_name", "email", "unit", "phone")
USER_FIELDS_SECURITY = ("role", "is_active")


def allows(role: str, model_label: str, action: str) -> bool:
    """May someone of `role` do `action` (view/add/change/delete) on `model_label`
    ("app_label.modelname")?"""
    if role == Role.SECURITY_ADMIN:
        return action in _SECURITY.get(model_label, frozenset())
    if role == Role.AUDITOR:
        return action in _AUDIT.get(model_label, frozenset())
    if role == Role.ADMIN:
        if model_label in _SYSTEM_ON_SECURITY:
            return action in _SYSTEM_ON_SECURITY[model_label]
        if model_label in _SECURITY or model_label.split(".")[0] in _NOT_SYSTEM_APPS:
            return False
        return action in ALL
    return False


def allows_app(role: str, app_label: str) -> bool:
    if role == Role.SECURITY_ADMIN:
        return any(label.startswith(f"{app_label}.") for label in _SECURITY)
    if role == Role.AUDITOR:
        return any(label.startswith(f"{app_label}.") for label in _AUDIT)
    if role == Role.ADMIN:
        return app_label not in _NOT_SYSTEM_APPS
    return False


def parse_perm(perm: str) -> tuple[str, str] | None:
    """ "units.change_unit" → ("units.unit", "change"); None for a permission not of that form."""
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    if not app_label or action not in ALL or not model:
        return None
    return f"{app_label}.{model}", action

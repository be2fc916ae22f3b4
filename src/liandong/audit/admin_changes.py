"""Every change made in the administration (units, reference data, settings, channels, peers…)
goes into the trail with what the row was before and after. The admin writes a LogEntry for each
addition, change and deletion; a pre-save/pre-delete snapshot taken while an admin request runs
gives the 'before'. Secrets are never copied: fields whose names say they hold one are masked."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Model
from django.db.models.signals import post_save, pre_delete, pre_save
from django.forms.models import model_to_dict

from liandong.audit import context
from liandong.audit.kinds import AuditKind
from liandong.audit.services import do_record

SECRET_WORDS = ("password", "secret", "key", "token", "hash")
_KINDS = {
    ADDITION: AuditKind.RECORD_ADDED,
    CHANGE: AuditKind.RECORD_CHANGED,
    DELETION: AuditKind.RECORD_DELETED,
}


def _plain(instance: Model) -> dict[str, Any]:
    values = model_to_dict(instance)
    return {
        name: ("***" if any(w in name.lower() for w in SECRET_WORDS) else value)
        for name, value in values.items()
    }


def _in_admin() -> Any:
    ctx = context.current()
    return ctx.request if ctx.request is not None and ctx.path.startswith("/admin/") else None


def _snapshot_before(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    request = _in_admin()
    if request is None or sender is LogEntry or instance.pk is None:
        return
    stored = sender._default_manager.filter(pk=instance.pk).first()
    if stored is not None:
        befores = request.__dict__.setdefault("_audit_before", {})
        befores.setdefault((sender._meta.label_lower, str(instance.pk)), _plain(stored))


def _record_admin_change(
    sender: type[Model], instance: LogEntry, created: bool, **kwargs: Any
) -> None:
    if not created:
        return
    request = _in_admin()
    ct = instance.content_type
    label = f"{ct.app_label}.{ct.model}" if ct is not None else ""
    key = (label, str(instance.object_id))
    before = (getattr(request, "_audit_before", {}) or {}).get(key, {}) if request else {}
    after: dict[str, Any] = {}
    if instance.action_flag != DELETION and ct is not None:
        model = ct.model_class()
        row = model._default_manager.filter(pk=instance.object_id).first() if model else None
        after = _plain(row) if row is not None else {}
    changed = [k for k in after if before.get(k) != after.get(k)] if before else list(after)
    verb = {ADDITION: "新增", CHANGE: "修改", DELETION: "删除"}.get(instance.action_flag, "变更")
    do_record(
        kind=_KINDS.get(instance.action_flag, AuditKind.RECORD_CHANGED),
        summary=f"管理后台{verb}：{ct.name if ct else ''} {instance.object_repr}"[:300],
        actor=instance.user,
        target=f"{label}:{instance.object_id}"[:120],
        data={
            "before": {k: before.get(k) for k in changed}
            if instance.action_flag == CHANGE
            else before,
            "after": {k: after[k] for k in changed},
            "message": instance.get_change_message(),
        },
    )


def connect() -> None:
    pre_save.connect(_snapshot_before, dispatch_uid="liandong-audit-before-save")
    pre_delete.connect(_snapshot_before, dispatch_uid="liandong-audit-before-delete")
    post_save.connect(_record_admin_change, sender=LogEntry, dispatch_uid="liandong-audit-admin")

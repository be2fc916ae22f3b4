"""The kinds of entry the audit trail holds, as one enumeration (pure Python).

The timeline's events are entries of kind EVENT (each carries the digest of its event row), or,
when one act of the system wrote many at once (a sweep of the watch, a chunk of a calendar
recompute), one entry of kind EVENTS listing each event's id and digest; the rest are what
happens around the incidents: signing in, refusals, exports, administration."""

from __future__ import annotations

from enum import StrEnum


class AuditKind(StrEnum):
    EVENT = "event"
    EVENTS = "events"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
    SECOND_FACTOR_RESET = "second_factor_reset"
    PERMISSION_DENIED = "permission_denied"
    EXPORT = "export"
    RECORD_ADDED = "record_added"
    RECORD_CHANGED = "record_changed"
    RECORD_DELETED = "record_deleted"
    ROLE_CHANGED = "role_changed"
    PASSWORD_SET = "password_set"
    ACCOUNT_UNLOCKED = "account_unlocked"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    AUDIT_VERIFIED = "audit_verified"


AUDIT_KIND_LABELS: dict[str, str] = {
    AuditKind.EVENT: "业务事件",
    AuditKind.EVENTS: "成批业务事件",
    AuditKind.LOGIN: "登录成功",
    AuditKind.LOGIN_FAILED: "登录失败",
    AuditKind.LOGIN_LOCKED: "锁定期间尝试登录",
    AuditKind.LOGOUT: "退出登录",
    AuditKind.SECOND_FACTOR_FAILED: "动态口令错误",
    AuditKind.SECOND_FACTOR_ENROLLED: "绑定动态口令",
    AuditKind.SECOND_FACTOR_RESET: "重置动态口令",
    AuditKind.PERMISSION_DENIED: "越权访问被拒绝",
    AuditKind.EXPORT: "导出数据",
    AuditKind.RECORD_ADDED: "新增配置记录",
    AuditKind.RECORD_CHANGED: "修改配置记录",
    AuditKind.RECORD_DELETED: "删除配置记录",
    AuditKind.ROLE_CHANGED: "变更角色",
    AuditKind.PASSWORD_SET: "设置密码",
    AuditKind.ACCOUNT_UNLOCKED: "解除登录锁定",
    AuditKind.TOKEN_ISSUED: "签发API令牌",
    AuditKind.TOKEN_REVOKED: "吊销API令牌",
    AuditKind.AUDIT_VERIFIED: "校验审计链",
}

#: How the actor of an entry proved who they are (audit/context.py sets it).
AUTH_METHOD_LABELS: dict[str, str] = {
    "session": "登录会话",
    "token": "API令牌",
    "city": "市平台签名",
    "worker": "后台任务",
    "cli": "命令行",
    "system": "系统",
}

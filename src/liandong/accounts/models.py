"""People, their roles, and API tokens for programs."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", "区联动办调度员"
    SUPERVISOR = "supervisor", "区联动办督办员"
    DUTY_OFFICER = "duty_officer", "联动单位值班员"
    UNIT_LEADER = "unit_leader", "联动单位主管领导"
    LEADERSHIP = "leadership", "区领导（只读）"
    ADMIN = "admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDITOR = "auditor", "安全审计员"


OFFICE_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR})
UNIT_ROLES = frozenset({Role.DUTY_OFFICER, Role.UNIT_LEADER})


class LiandongUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        """Django's `createsuperuser` makes a system administrator: the flag itself grants
        nothing here (duties.py), the role does."""
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    objects = LiandongUserManager()  # type: ignore[misc]
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.DISPATCHER)
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="联动单位的值班员和主管领导必须属于一个单位",
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    # The second factor (TOTP, RFC 6238): the secret encrypted at rest (common/secretbox), when
    # it was confirmed, and the last time step used (a code is good once).
    totp_secret = models.CharField(
        "动态口令密钥（加密）", max_length=300, blank=True, editable=False
    )
    totp_confirmed_at = models.DateTimeField(
        "动态口令绑定时间", null=True, blank=True, editable=False
    )
    totp_last_step = models.BigIntegerField("动态口令最近使用", default=0, editable=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Permissions follow the role's duties (accounts/duties.py): the superuser flag grants
        nothing, so no account can do all three administrators' work."""
        from liandong.accounts import duties

        parsed = duties.parse_perm(perm)
        return self.is_active and parsed is not None and duties.allows(self.role, *parsed)

    def has_module_perms(self, app_label: str) -> bool:
        from liandong.accounts import duties

        return self.is_active and duties.allows_app(self.role, app_label)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return f"{self.display_name}（{self.get_role_display()}）"

    def clean(self) -> None:
        super().clean()
        if self.role in UNIT_ROLES and self.unit_id is None:
            raise ValidationError({"unit": "联动单位的值班员和主管领导必须选择所属单位"})
        if self.role not in UNIT_ROLES and self.unit_id is not None:
            raise ValidationError(
                {"unit": "区联动办、区领导和管理员不属于联动单位，请清空所属单位"}
            )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for a program acting as `user`. Only the hash is stored."""

    user = models.ForeignKey(
        User, verbose_name="使用人", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=12, editable=False)
    key_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    expires_at = models.DateTimeField(
        "到期时间", null=True, blank=True, help_text="到期后令牌失效，需重新签发"
    )

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_raw_key() -> str:
        return "ld_" + secrets.token_urlsafe(32)


class LoginAttempt(models.Model):
    """Every sign-in, successful or not, with where it came from: the lock-out counts the failed
    ones, and the audit trail reads them all. Appended, never changed."""

    username = models.CharField("用户名", max_length=150, db_index=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    succeeded = models.BooleanField("成功")
    at = models.DateTimeField("时间", db_index=True)
    where = models.CharField("入口", max_length=20, default="web")

    class Meta:
        verbose_name = "登录记录"
        verbose_name_plural = "登录记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "at"], name="login_attempt_user_at")]

    def __str__(self) -> str:
        return f"{self.username} {'成功' if self.succeeded else '失败'}"

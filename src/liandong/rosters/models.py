"""Who answers for a linkage unit around the clock: tier-1 duty shifts (四定: the person on duty,
their phone, the duty place and the duty vehicle) and the named contacts of every tier (tier-2
professional contacts, tier-3 coordinators, leaders of any tier). With history, like the units.

Shifts of one unit may overlap: several people may be on duty at once (a duty officer and the
leader on duty, 值班员和带班领导), and each of them is reached."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from liandong.rosters import rules
from liandong.units.models import Unit


class DutyShift(models.Model):
    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间", help_text="不含此刻；一个班次最长24小时")
    person_name = models.CharField("值班人员", max_length=50)
    phone = models.CharField("联系电话", max_length=30)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duty_shifts",
        help_text="值班人员在本系统的账号（如有）",
    )
    duty_place = models.CharField("值班地点", max_length=100)
    duty_vehicle = models.CharField("值班车辆", max_length=50, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "值班班次"
        verbose_name_plural = "值班表"
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["unit", "starts_at"]), models.Index(fields=["ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="rosters_shift_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.person_name} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.unit_id is not None:
            problem = rules.shift_tier_problem(self.unit.tier)
            if problem:
                errors["unit"] = problem
        if self.starts_at and self.ends_at:
            problem = rules.shift_problem(self.starts_at, self.ends_at)
            if problem:
                errors["ends_at"] = problem
        if self.phone and (problem := rules.phone_problem(self.phone.strip())):
            errors["phone"] = problem
        if errors:
            raise ValidationError(errors)


class ContactKind(models.TextChoices):
    PROFESSIONAL = rules.PROFESSIONAL, "专业联系人"
    COORDINATOR = rules.COORDINATOR, "协调员"
    LEADER = rules.LEADER, "主管领导"


class UnitContact(models.Model):
    """A named contact of a unit: the tier-2 professional contacts (三定), the tier-3 coordinator,
    the leaders of any tier. A tier-1 unit's professional contacts answer when its roster has a
    hole."""

    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="contacts"
    )
    kind = models.CharField("类型", max_length=20, choices=ContactKind.choices)
    person_name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=30)
    contact_method = models.CharField(
        "联系方式", max_length=50, blank=True, help_text="如：值班电话、手机、企业微信"
    )
    note = models.CharField("备注", max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unit_contacts",
        help_text="联系人在本系统的账号（如有）",
    )
    active = models.BooleanField("启用", default=True)
    position = models.PositiveSmallIntegerField("排序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位联系人"
        verbose_name_plural = "单位联系人"
        ordering = ["unit", "position", "id"]
        indexes = [models.Index(fields=["unit", "kind", "active"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()} {self.person_name}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.unit_id is not None and self.kind:
            problem = rules.contact_tier_problem(self.kind, self.unit.tier)
            if problem:
                errors["kind"] = problem
        if self.phone and (problem := rules.phone_problem(self.phone.strip())):
            errors["phone"] = problem
        if errors:
            raise ValidationError(errors)

"""The district's organisation: linkage units with their tiers, support units, the office, and the
responsibility catalogue. All of it is default data that administrators edit, with history."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


class UnitKind(models.TextChoices):
    OFFICE = "office", "区联动办"
    DEPARTMENT = "department", "部门"
    STREET = "street", "街道"
    SUPPORT = "support", "保障单位"


class Tier(models.IntegerChoices):
    ONE = 1, "一级联动单位"
    TWO = 2, "二级联动单位"
    THREE = 3, "三级联动单位"


class Unit(models.Model):
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    tier = models.PositiveSmallIntegerField(
        "联动级别",
        choices=Tier.choices,
        null=True,
        blank=True,
        help_text="保障单位和区联动办没有级别",
    )
    street_code = models.CharField("街道区划代码", max_length=12, blank=True)
    aliases = models.JSONField("别名", default=list, blank=True)
    role_note = models.CharField("保障职责", max_length=100, blank=True)
    duty_phone = models.CharField("值班电话", max_length=30, blank=True)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["tier", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_linkage_unit(self) -> bool:
        return self.tier is not None and self.kind in (UnitKind.DEPARTMENT, UnitKind.STREET)


class TierChange(models.Model):
    """The tier history of a unit. A change applies to instructions dispatched after `effective_at`;
    each instruction also keeps the tier it was dispatched under. A change takes effect when it is
    recorded, so the history reads in the order of recording (by id): the clock may have been set
    differently when the shipped defaults were loaded, the order of recording never changes."""

    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.PositiveSmallIntegerField("原级别", choices=Tier.choices, null=True)
    to_tier = models.PositiveSmallIntegerField("新级别", choices=Tier.choices)
    effective_at = models.DateTimeField("生效时间")
    reason = models.CharField("原因", max_length=200, blank=True)
    document_number = models.CharField("文件文号", max_length=100, blank=True)
    changed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, verbose_name="操作人"
    )

    class Meta:
        verbose_name = "级别调整记录"
        verbose_name_plural = "级别调整记录"
        ordering = ["unit", "id"]

    def __str__(self) -> str:
        before = self.get_from_tier_display() if self.from_tier else "无级别"
        return f"{self.unit}：{before} → {self.get_to_tier_display()}"


class Category(models.Model):
    """One line of the responsibility catalogue (职责清单)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("事项类别", max_length=50, unique=True)
    covers = models.TextField("涵盖事项", blank=True)
    primary_unit = models.ForeignKey(
        Unit,
        verbose_name="主责单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_categories",
    )
    primary_is_street = models.BooleanField(
        "由属地街道主责", default=False, help_text="主责单位为事发地所在街道"
    )
    alternatives = models.ManyToManyField(
        Unit, verbose_name="可选主责单位", blank=True, related_name="alternative_categories"
    )
    cooperating_units = models.ManyToManyField(
        Unit, verbose_name="协同单位", blank=True, related_name="cooperating_categories"
    )
    street_joins = models.BooleanField("属地街道协同", default=False)
    escalates_when = models.CharField("升级情形", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(m2m_fields=[alternatives, cooperating_units])

    class Meta:
        verbose_name = "职责清单事项"
        verbose_name_plural = "职责清单"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

"""Street boundaries (one GeoJSON geometry per street, a Unit of kind street) and the gazetteer:
the district's place names with the street each belongs to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from liandong import clock
from liandong.units.models import Unit


class StreetBoundary(models.Model):
    street = models.OneToOneField(
        Unit,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="boundary",
        verbose_name="街道",
    )
    geometry = models.JSONField("边界（GeoJSON几何）")
    imported_at = models.DateTimeField("导入时间")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="导入人",
    )
    source_name = models.CharField("来源文件", max_length=200, blank=True)

    class Meta:
        verbose_name = "街道边界"
        verbose_name_plural = "街道边界"
        ordering = ["street_id"]

    def __str__(self) -> str:
        return f"{self.street.name}边界"


class PlaceKind(models.TextChoices):
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"
    ROAD = "road", "道路"
    LANDMARK = "landmark", "地标"


class GazetteerEntry(models.Model):
    """A place name of the district and the street it belongs to. A name is unique (compared
    normalised: `key`), except that a road may be entered once under each street it runs
    through. Written only through geography/services.py."""

    name = models.CharField("名称", max_length=100)
    key = models.CharField("规范化名称", max_length=200, editable=False, db_index=True)
    kind = models.CharField("类别", max_length=20, choices=PlaceKind.choices)
    street = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="gazetteer_entries",
        verbose_name="所属街道",
        limit_choices_to={"kind": "street"},
    )
    aliases = models.TextField("别名", blank=True, help_text="每行一个，可不填")
    note = models.CharField("备注", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", default=clock.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "地名"
        verbose_name_plural = "地名库"
        ordering = ["kind", "key", "street_id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "street"], name="gazetteer_name_street_unique"),
            models.UniqueConstraint(
                fields=["key"],
                condition=~models.Q(kind="road"),
                name="gazetteer_name_unique_unless_road",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}，{self.street.name}）"

    @property
    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.splitlines() if a.strip()]

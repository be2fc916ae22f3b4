"""Street boundaries: one GeoJSON geometry per street (a Unit of kind street)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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

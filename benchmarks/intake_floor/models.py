from django.db import models


class Row(models.Model):
    """One ~1 KB row per request (the benchmark creates the table)."""

    key = models.CharField(max_length=64, unique=True)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "intake_floor_row"
        managed = False

    def __str__(self) -> str:
        return self.key

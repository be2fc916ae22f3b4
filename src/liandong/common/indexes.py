"""Index helpers shared by the models."""

from __future__ import annotations

from django.db import models


def set_keys_index(prefix: str, *fields: str) -> list[models.Index]:
    """One index per nullable key holding only the rows where the key is set. A lookup by a
    value (`category=…`, a reverse relation, a PROTECT check) uses it like a full index, and a row
    written with the key empty adds no entry to it: a new incident or a system event leaves most
    of its keys empty, and every insert and non-HOT update would otherwise index each NULL."""
    return [
        models.Index(
            fields=[field],
            name=f"{prefix}_{field}_set",
            condition=models.Q(**{f"{field}__isnull": False}),
        )
        for field in fields
    ]

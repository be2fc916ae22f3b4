"""Several kinds of small child rows of the same parents, loaded in one query.

A page that shows instructions needs each one's deadlines, caller contacts and attachments;
`prefetch_related` reads them with one query per kind. `load_together` reads them with one
`UNION ALL` instead: each part selects its rows as one JSON object (Django's JSONObject, on
PostgreSQL and SQLite alike) with its kind and its place in that kind's order, and the rows are
turned back into model instances with each field's own conversion. Afterwards `parent.<name>.all()`
answers from memory, exactly as after `prefetch_related(<name>)`.

Only for reverse foreign keys whose rows have plain columns (numbers, text, booleans, moments,
file names): what a JSON object carries without loss.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.models import F, IntegerField, Value, Window
from django.db.models.functions import JSONObject, RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def _value(field: models.Field[Any, Any], raw: Any) -> Any:
    """A JSON value back as the field's Python value."""
    if raw is None:
        return None
    if isinstance(field, models.DateTimeField):
        moment = raw if isinstance(raw, datetime) else parse_datetime(raw)
        if moment is not None and timezone.is_naive(moment):  # SQLite keeps UTC without offset
            moment = moment.replace(tzinfo=UTC)
        return moment
    if isinstance(field, models.FileField):
        return raw
    return field.to_python(raw)


def load_together(
    parents: Sequence[models.Model], children: dict[str, models.QuerySet[Any]]
) -> None:
    """Fill `parent.<name>.all()` for every parent and every `name → queryset` (the queryset gives
    the child model, any filter and the order) with one query."""
    if not parents or not children:
        return
    parent_model = type(parents[0])
    ids = [p.pk for p in parents]
    parts = []
    plan: list[tuple[str, Any, list[models.Field[Any, Any]]]] = []
    for n, (name, qs) in enumerate(children.items()):
        relation = parent_model._meta.get_field(name)
        if not isinstance(relation, models.ManyToOneRel):
            raise TypeError(f"{name} is not a reverse foreign key of {parent_model.__name__}")
        fk = relation.field  # the child's foreign key to the parent
        fields = list(qs.model._meta.concrete_fields)
        order = list(qs.query.order_by or qs.model._meta.ordering or ()) + ["pk"]
        parts.append(
            qs.filter(**{f"{fk.attname}__in": ids})
            .annotate(
                _kind=Value(n, output_field=IntegerField()),
                _place=Window(RowNumber(), order_by=[_ordering(o) for o in order]),
                _row=JSONObject(**{f.attname: F(f.attname) for f in fields}),
            )
            .values_list("_kind", "_place", "_row")
            .order_by()
        )
        plan.append((name, fk, fields))
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    found: dict[tuple[int, Any], list[models.Model]] = {}
    db = parts[0].db
    for kind, _, row in sorted(rows, key=lambda r: (r[0], r[1])):
        _, fk, fields = plan[kind]
        data = row if isinstance(row, dict) else _json(row)
        child = fk.model.from_db(
            db, [f.attname for f in fields], [_value(f, data[f.attname]) for f in fields]
        )
        found.setdefault((kind, data[fk.attname]), []).append(child)
    by_id = {p.pk: p for p in parents}
    for kind, (name, fk, _) in enumerate(plan):
        for parent in parents:
            held = found.get((kind, parent.pk), [])
            for child in held:
                fk.set_cached_value(child, by_id[parent.pk])
            set_loaded(parent, name, held)


def set_loaded(parent: models.Model, name: str, rows: list[Any]) -> None:
    """`parent.<name>.all()` answers `rows` from memory, as after prefetch_related(<name>) (for
    rows the caller holds already, e.g. those an action has just written)."""
    qs = getattr(parent, name).all()
    qs._result_cache = rows  # what prefetch_related leaves behind
    qs._prefetch_done = True
    if not hasattr(parent, "_prefetched_objects_cache"):
        parent._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    parent._prefetched_objects_cache[name] = qs  # type: ignore[attr-defined]


def holds_loaded(parent: models.Model, names: Sequence[str]) -> bool:
    """Whether `parent.<name>.all()` answers from memory for every name (prefetched, loaded
    together, or set by `set_loaded`)."""
    held = getattr(parent, "_prefetched_objects_cache", {})
    return all(name in held for name in names)


def _ordering(term: str) -> Any:
    return F(term[1:]).desc() if term.startswith("-") else F(term).asc()


def _json(text: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(text)
    return decoded

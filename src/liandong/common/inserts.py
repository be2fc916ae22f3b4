"""New rows written on the hottest paths (a dispatch, an event and its audit entry) with one
statement compiled once per model.

Django's `bulk_create` prepares every value of every row through its compiler (pre-save, the
field's database preparation, the placeholder) and compiles the INSERT each time: for the dozen
rows of a dispatch that is about as much CPU as the rest of the action. On PostgreSQL
`insert_rows` keeps, per model, the statement (`INSERT … SELECT * FROM unnest(%s::type[], …)
RETURNING id`, as Django's own bulk insert writes it; for a single row `VALUES`, so a large JSON
value is not sent escaped as an array's text) and, per column, how its value goes to psycopg: as
it is for plain columns (numbers, text, booleans, keys, aware moments), through the field's own
`get_db_prep_save` for the rest (JSON, and a naive moment, so it is read in the project's time
zone as Django reads it). Elsewhere (SQLite) it is `bulk_create`.

From `COPY_FROM` rows on (the calendar recompute's and the watch's events and audit entries, in
thousands), PostgreSQL takes them by `COPY … FROM STDIN` instead, after drawing their keys from
the table's sequence in one statement: psycopg formats the rows in C, and the database parses
them without building arrays first; a JSON value goes as its text. Measured on 5,000 events: 14 µs of Python per row against
29, and about a third of the database's time. The values are the same ones the statement gets.

For models whose key is drawn from a sequence and whose other columns are all plain values the
caller sets: no file fields, no database defaults or generated columns, no expressions as values,
no auto_now moments (all checked when the plan is made). Like `bulk_create`, it sends no signals."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)

#: Field classes whose Python value psycopg takes as it is (their preparation only checks it).
PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.FloatField,
    models.BooleanField,
    models.CharField,
    models.SlugField,
    models.TextField,
)


#: From this many rows on, insert_rows copies them on PostgreSQL (see above).
COPY_FROM = 200


@dataclass(frozen=True)
class _Plan:
    sql: str
    one_sql: str  # one row: VALUES (a large JSON value is not written twice, as an array's text)
    keys_sql: str  # draws n keys from the table's sequence
    copy_sql: str
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # attname, conversion
    copy_columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # the same for COPY
    relations: tuple[models.ForeignKey[Any, Any], ...]


def insert_rows(objs: Sequence[M]) -> list[M]:
    """Insert `objs` (new instances of one model) in one statement, or by COPY from `COPY_FROM`
    rows on; each gets its key, as after `bulk_create`."""
    if not objs:
        return []
    model = type(objs[0])
    plan = _plan(model)  # refuses a model it is not for, on every database
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)
    for obj in objs:
        for fk in plan.relations:  # a related row saved after it was assigned: its new key
            if getattr(obj, fk.attname) is None and fk.is_cached(obj):
                related = fk.get_cached_value(obj)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{fk.name} is not saved yet")
                    setattr(obj, fk.attname, related.pk)
    keys = _copy(plan, objs) if len(objs) >= COPY_FROM else _insert(plan, objs)
    for obj, pk in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def _insert(plan: _Plan, objs: Sequence[models.Model]) -> list[int]:
    """One statement with one array per column (one row: its values); the new keys."""
    if len(objs) == 1:
        sql, params = plan.one_sql, _row(plan.columns, objs[0])
    else:
        sql = plan.sql
        params = [
            [getattr(obj, attname) for obj in objs]
            if convert is None
            else [convert(getattr(obj, attname)) for obj in objs]
            for attname, convert in plan.columns
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _copy(plan: _Plan, objs: Sequence[models.Model]) -> list[int]:
    """The keys drawn from the sequence, then the rows by COPY with them; the new keys."""
    with connection.cursor() as cursor:
        cursor.execute(plan.keys_sql, [len(objs)])
        keys = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(plan.copy_sql) as copy:
            for pk, obj in zip(keys, objs, strict=True):
                copy.write_row([pk, *_row(plan.copy_columns, obj)])
    return keys


def _row(
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...], obj: models.Model
) -> list[Any]:
    """One instance's values in the order of `columns` (the plan's, or COPY's), each converted."""
    return [
        getattr(obj, attname) if convert is None else convert(getattr(obj, attname))
        for attname, convert in columns
    ]


@functools.cache
def _plan(model: type[models.Model]) -> _Plan:
    """The model's statement and columns, made once per process."""
    if not isinstance(
        model._meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField
    ):
        # the key must come from the table's sequence: the statement leaves it out, COPY draws it
        raise TypeError(f"{model.__name__}: a key not drawn from a sequence, not for insert_rows")
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if (
            isinstance(field, models.FileField | models.GeneratedField)
            or field.has_db_default()  # type: ignore[attr-defined]
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            raise TypeError(f"{model.__name__}.{field.name}: not for insert_rows")
    columns = tuple((f.attname, _conversion(f)) for f in fields)
    copy_columns = tuple(
        (f.attname, _json_text(f) if type(f) is models.JSONField else convert)
        for f, (_, convert) in zip(fields, columns, strict=True)
    )
    types = ", ".join(f"%s::{_array_type(f)}[]" for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    key_column = model._meta.pk.column  # type: ignore[union-attr]
    key = connection.ops.quote_name(key_column)
    sequence = f"pg_get_serial_sequence('{table}', '{key_column}')"
    return _Plan(
        sql=f"INSERT INTO {table} ({names}) SELECT * FROM unnest({types}) RETURNING {key}",
        one_sql=f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
        f" RETURNING {key}",
        keys_sql=f"SELECT nextval(s::regclass) FROM {sequence} AS s, generate_series(1, %s)",
        copy_sql=f"COPY {table} ({key}, {names}) FROM STDIN",
        columns=columns,
        copy_columns=copy_columns,
        relations=tuple(f for f in fields if isinstance(f, models.ForeignKey)),
    )


def _conversion(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.ForeignKey):
        return _conversion(field.target_field)
    if isinstance(field, models.DateTimeField):
        return lambda value: (
            value
            if value is None or (isinstance(value, datetime) and value.tzinfo is not None)
            else field.get_db_prep_save(value, connection)
        )
    if type(field) in PLAIN:  # exactly: a subclass may prepare its values its own way
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _json_text(field: models.JSONField[Any]) -> Callable[[Any], Any]:
    """COPY reads text: a JSON value goes as the text Django's adapter would send (the field's
    encoder through `json.dumps`), without psycopg's wrapper and its dumper per value."""
    encoder = field.encoder  # as Django's PostgreSQL operations build their json.dumps
    dumps = json.dumps if encoder is None else functools.partial(json.dumps, cls=encoder)
    return lambda value: None if value is None else dumps(value)


def _array_type(field: models.Field[Any, Any]) -> str:
    """The column's type without its length (varchar[], not varchar(50)[]), as Django's unnest."""
    db_type = (
        field.target_field.rel_db_type(connection)  # type: ignore[attr-defined]
        if isinstance(field, models.ForeignKey)
        else field.db_type(connection)
    )
    assert db_type is not None
    return db_type.split("(")[0]

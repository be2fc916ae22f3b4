"""Writes of the district's geography: importing street boundaries; the gazetteer (import, one
entry saved or deleted, the shipped defaults)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from liandong import clock
from liandong.accounts.models import User
from liandong.common.errors import FieldError, InvalidInput
from liandong.geography.gazetteer import normalise
from liandong.geography.gazetteer_file import EntryRow, parse_entries
from liandong.geography.geojson import parse_features
from liandong.geography.models import GazetteerEntry, StreetBoundary
from liandong.geography.selectors import (
    entry_problems,
    forget_jurisdiction_index,
    street_lookup_keys,
)
from liandong.units.models import Unit, UnitKind


@dataclass(frozen=True)
class BoundaryImport:
    imported: tuple[str, ...]  #: street names, in file order
    removed: int  #: earlier boundaries of streets the file does not name

    def message(self) -> str:
        text = f"已导入{len(self.imported)}个街道的边界：{'、'.join(self.imported)}"
        return text + (f"；另删除{self.removed}个文件中没有的街道的旧边界" if self.removed else "")


@transaction.atomic
def do_import_street_boundaries(
    *, actor: User | None, data: bytes, source_name: str = ""
) -> BoundaryImport:
    """Replace every street boundary with the features of a GeoJSON FeatureCollection, each naming
    its street in its properties by code, administrative code (e.g. 210114003), name or alias. All or nothing: any feature that is malformed,
    names no active street, or names one twice is reported (第N个要素) and nothing is stored."""
    features = parse_features(data)
    streets = list(Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("pk"))
    by_key: dict[str, Unit] = {}
    for street in streets:  # its code, official administrative code, name or an alias
        for key in (street.code, street.street_code, street.name, *(street.aliases or ())):
            if key:
                by_key.setdefault(str(key), street)
    errors: list[FieldError] = []
    seen: dict[int, int] = {}
    chosen: list[tuple[Unit, dict]] = []
    for feature in features:
        found = by_key.get(feature.key)
        if found is None:
            errors.append(
                FieldError(
                    "file",
                    "unknown_street",
                    f"第{feature.number}个要素：没有名称或编码为“{feature.key}”的街道",
                )
            )
            continue
        street = found
        if street.pk in seen:
            errors.append(
                FieldError(
                    "file",
                    "duplicate_street",
                    f"第{feature.number}个要素：{street.name}已在第{seen[street.pk]}个要素中出现",
                )
            )
        else:
            seen[street.pk] = feature.number
            chosen.append((street, feature.geometry))
    if errors:
        raise InvalidInput(errors, "GeoJSON文件有问题，未导入任何内容")
    # Serialised with other imports; the old boundaries go, the file's come.
    list(Unit.objects.select_for_update().filter(pk__in=[s.pk for s in streets]))
    removed = StreetBoundary.objects.exclude(street__in=[s for s, _ in chosen]).delete()[0]
    now = clock.now()
    for street, geometry in chosen:
        StreetBoundary.objects.update_or_create(
            street=street,
            defaults={
                "geometry": geometry,
                "imported_at": now,
                "imported_by": actor,
                "source_name": source_name[:200],
            },
        )
    forget_jurisdiction_index()
    return BoundaryImport(imported=tuple(s.name for s, _ in chosen), removed=removed)


# --- The gazetteer --------------------------------------------------------------------------------

IMPORT_REASON = "导入地名库"
DEFAULTS_REASON = "初始数据（地名库）"
DEFAULTS_FILE = "gazetteer.csv"


@dataclass(frozen=True)
class GazetteerImport:
    created: int
    updated: int
    deleted: int
    unchanged: int
    replace: bool

    def message(self) -> str:
        how = "替换" if self.replace else "合并"
        return (
            f"已导入地名库（{how}）：新增{self.created}条，更新{self.updated}条，"
            f"删除{self.deleted}条，未变{self.unchanged}条"
        )


@transaction.atomic
def do_import_gazetteer(
    *, actor: User | None, data: bytes, replace: bool = False
) -> GazetteerImport:
    """Import place names from an .xlsx workbook or a CSV file (gazetteer_file.py says the
    layout). All or nothing: every row is checked first and any problem raises one InvalidInput
    naming each row (第N行); nothing of the file is then stored.

    Merge (`replace=False`, what an administrator adding or correcting names expects): every name
    in the file is as the file says: an entry of that name is updated, a new name added, and a
    road's streets become the file's rows for it. Names not in the file stay. Replace: the
    gazetteer becomes the file; entries of names not in the file are deleted. Identical entries
    are left untouched. Every change goes into the entries' history with `actor`."""
    rows = parse_entries(data, street_lookup_keys())
    streets = {u.code: u for u in Unit.objects.filter(kind=UnitKind.STREET)}
    # Imports run one after the other (no-op on SQLite).
    list(Unit.objects.select_for_update().filter(pk__in=[u.pk for u in streets.values()]))
    by_key: dict[str, list[EntryRow]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    stored: dict[str, dict[str, GazetteerEntry]] = {}
    for kept in GazetteerEntry.objects.select_related("street").order_by("pk"):
        stored.setdefault(kept.key, {})[kept.street.code] = kept
    doomed: list[GazetteerEntry] = []
    changed: list[GazetteerEntry] = []
    new: list[GazetteerEntry] = []
    unchanged = 0
    now = clock.now()
    for key, key_rows in by_key.items():
        existing = stored.pop(key, {})
        # Each row keeps the entry of its street; a row of a new street takes over an entry
        # of a street the file no longer names (a move), or is new.
        paired = [(row, existing.pop(row.street, None)) for row in key_rows]
        spare = list(existing.values())
        for row, entry in paired:
            entry = entry or (spare.pop(0) if spare else None)
            values = {**_values(row), "street": streets[row.street]}
            if entry is None:
                new.append(GazetteerEntry(updated_at=now, **values))
            elif any(getattr(entry, f) != v for f, v in values.items()):
                for field, value in values.items():
                    setattr(entry, field, value)
                entry.updated_at = now
                changed.append(entry)
            else:
                unchanged += 1
        doomed += spare
    if replace:
        doomed += [e for group in stored.values() for e in group.values()]
    # Deletions first: a name moving to another street or kind must not meet its old row.
    _delete_with_history(doomed, actor, IMPORT_REASON)
    for entry in changed:
        entry._history_user = actor  # type: ignore[attr-defined]
        entry._change_reason = IMPORT_REASON  # type: ignore[attr-defined]
        entry.save()
    bulk_create_with_history(
        new, GazetteerEntry, default_user=actor, default_change_reason=IMPORT_REASON
    )
    forget_jurisdiction_index()
    return GazetteerImport(len(new), len(changed), len(doomed), unchanged, replace)


def _values(row: EntryRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "key": row.key,
        "kind": row.kind,
        "aliases": "\n".join(row.aliases),
        "note": row.note,
    }


def _delete_with_history(entries: Iterable[GazetteerEntry], actor: User | None, why: str) -> None:
    for entry in entries:
        entry._history_user = actor  # type: ignore[attr-defined]
        entry._change_reason = why  # type: ignore[attr-defined]
        entry.delete()


@transaction.atomic
def do_save_gazetteer_entry(
    *,
    actor: User | None,
    entry: GazetteerEntry | None,
    name: str,
    kind: str,
    street: Unit,
    aliases: Sequence[str] = (),
    note: str = "",
) -> GazetteerEntry:
    """Add an entry (`entry` None) or change one, after the same checks as an import's row."""
    name, note = name.strip(), note.strip()
    cleaned = [a.strip() for a in aliases if a.strip()]
    problems = entry_problems(
        name=name,
        kind=kind,
        street=street,
        aliases=cleaned,
        note=note,
        exclude_pk=entry.pk if entry is not None else None,
    )
    if problems:
        raise InvalidInput(problems, problems[0].message)
    key = normalise(name)
    if entry is None or entry.pk is None:
        target = GazetteerEntry()
    else:
        target = GazetteerEntry.objects.select_for_update().get(pk=entry.pk)
    target.name, target.key, target.kind, target.street = name, key, kind, street
    target.aliases = "\n".join(dict.fromkeys(a for a in cleaned if normalise(a) != key))
    target.note = note
    target.updated_at = clock.now()
    target._history_user = actor  # type: ignore[attr-defined]
    target.save()
    forget_jurisdiction_index()
    return target


@transaction.atomic
def do_delete_gazetteer_entries(*, actor: User | None, entries: Iterable[GazetteerEntry]) -> int:
    """Delete these entries (with history)."""
    doomed = list(GazetteerEntry.objects.filter(pk__in=[e.pk for e in entries]))
    _delete_with_history(doomed, actor, "删除地名")
    forget_jurisdiction_index()
    return len(doomed)


@transaction.atomic
def load_default_gazetteer() -> int:
    """The shipped starter gazetteer (defaults/gazetteer.csv), once: only into a gazetteer that
    has never held an entry, so an administrator's edits and deletions are never undone by
    loading the defaults again. Returns how many entries were created."""
    if GazetteerEntry.history.exists():  # type: ignore[attr-defined]
        return 0
    data = resources.files("liandong.defaults").joinpath(DEFAULTS_FILE).read_bytes()
    rows = parse_entries(data, street_lookup_keys())
    streets = {u.code: u for u in Unit.objects.filter(kind=UnitKind.STREET)}
    now = clock.now()
    new = [GazetteerEntry(street=streets[r.street], updated_at=now, **_values(r)) for r in rows]
    bulk_create_with_history(new, GazetteerEntry, default_change_reason=DEFAULTS_REASON)
    forget_jurisdiction_index()
    return len(new)

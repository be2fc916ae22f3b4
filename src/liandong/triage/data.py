"""The labelled descriptions shipped with the product (data/*.csv) and the split that keeps a
fifth of them out of training for the numbers in docs/triage.md (pure)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from pathlib import Path

from liandong.triage.learn import Example

DATA = Path(__file__).resolve().parent / "data"
HELD_OUT_SHARE = 5  # one in five


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "是")


def read_rows(rows: Iterable[dict[str, str]]) -> list[Example]:
    examples = []
    for row in rows:
        level = (row.get("level") or "").strip()
        examples.append(
            Example(
                content=(row.get("content") or "").strip(),
                address=(row.get("address") or "").strip(),
                category=(row.get("category") or "").strip(),
                incident_class=(row.get("class") or "").strip(),
                level=int(level) if level in ("1", "2") else 0,
                police=_flag(row.get("police")),
                urgent=_flag(row.get("urgent")),
            )
        )
    return examples


def shipped() -> list[Example]:
    """Every shipped labelled incident (data/train_*.csv), in a stable order."""
    examples: list[Example] = []
    for path in sorted(DATA.glob("train_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            examples.extend(read_rows(csv.DictReader(handle)))
    return examples


def vocabulary(categories: Iterable[tuple[str, str, str]] | None = None) -> list[Example]:
    """Category-only phrases: the lexicon of typical terms, and each category's name and the
    items of its `covers` (from `categories` as (code, name, covers), or the shipped catalogue)."""
    with (DATA / "lexicon.csv").open(encoding="utf-8", newline="") as handle:
        words = read_rows(csv.DictReader(handle))
    if categories is None:
        categories = shipped_catalogue()
    for code, name, covers in categories:
        for phrase in [name, *covers.replace("，", "、").replace(",", "、").split("、")]:
            if phrase.strip():
                words.append(Example(content=phrase.strip(), category=code))
    return words


def shipped_catalogue() -> list[tuple[str, str, str]]:
    from liandong.defaults import read

    return [
        (c["code"], c["name"], c.get("covers", "")) for c in read("catalogue.yaml")["categories"]
    ]


def is_held_out(example: Example) -> bool:
    digest = hashlib.sha256(example.content.encode()).digest()
    return digest[0] % HELD_OUT_SHARE == 0


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(training part, held-out part), decided by each text's hash: stable across runs."""
    return (
        [e for e in examples if not is_held_out(e)],
        [e for e in examples if is_held_out(e)],
    )


def fingerprint(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.content}\t{e.category}\t{e.incident_class}\t{e.level}\n".encode())
    return digest.hexdigest()[:16]

"""Scoring proposals against labelled rows (pure): top-1 and top-3 accuracy per labelled field and
the confusions, as `liandong triage-eval` prints them. Reading CSV, TSV or .xlsx with a header row."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from liandong.triage.proposal import Proposal

REQUIRED = ("content", "address")


class BadFile(ValueError):
    pass


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV, TSV or .xlsx file with a header row, as text; BadFile when the columns
    content and address are missing or the file cannot be read."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise BadFile(f"无法读取Excel文件：{exc}") from exc
        values = [
            ["" if v is None else str(v).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)  # type: ignore[union-attr]
        ]
        if not values:
            raise BadFile("文件为空")
        header = [h.strip().lower() for h in values[0]]
        rows = [dict(zip(header, row, strict=False)) for row in values[1:] if any(row)]
    else:
        text = path.read_bytes().decode("utf-8-sig")
        delimiter = "\t" if suffix == ".tsv" or (suffix != ".csv" and "\t" in text[:2000]) else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = [
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader
        ]
        header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadFile(f"缺少必需的列：{', '.join(missing)}（表头须含 content 和 address）")
    return rows


@dataclass(frozen=True)
class FieldScore:
    name: str
    labelled: int
    top1: int
    top3: int | None  # only for the category

    def line(self) -> str:
        if not self.labelled:
            return f"{self.name}: 无标注"
        text = f"{self.name}: top-1 {self.top1 / self.labelled:.1%} ({self.top1}/{self.labelled})"
        if self.top3 is not None:
            text += f", top-3 {self.top3 / self.labelled:.1%} ({self.top3}/{self.labelled})"
        else:
            text += "（只有两个取值，top-3 恒为100%）"
        return text


def score(
    rows: Sequence[dict[str, str]], proposals: Sequence[Proposal]
) -> tuple[list[FieldScore], dict[str, Counter[tuple[str, str]]]]:
    """Scores per field and, per field, a counter of (labelled, proposed) pairs."""
    confusion: dict[str, Counter[tuple[str, str]]] = {
        "category": Counter(),
        "class": Counter(),
        "level": Counter(),
    }
    counts = {k: [0, 0, 0] for k in confusion}
    for row, p in zip(rows, proposals, strict=True):
        truth = (row.get("category") or "").strip()
        if truth:
            counts["category"][0] += 1
            counts["category"][1] += p.category == truth
            counts["category"][2] += truth in [c for c, _, _ in p.categories[:3]]
            confusion["category"][(truth, p.category)] += 1
        truth = (row.get("class") or "").strip()
        if truth:
            counts["class"][0] += 1
            counts["class"][1] += p.incident_class == truth
            confusion["class"][(truth, p.incident_class)] += 1
        truth = (row.get("level") or "").strip()
        if truth:
            counts["level"][0] += 1
            counts["level"][1] += str(p.level) == truth
            confusion["level"][(truth, str(p.level))] += 1
    scores = [
        FieldScore("category", counts["category"][0], counts["category"][1], counts["category"][2]),
        FieldScore("class", counts["class"][0], counts["class"][1], None),
        FieldScore("level", counts["level"][0], counts["level"][1], None),
    ]
    return scores, confusion


def confusion_lines(confusion: Counter[tuple[str, str]], limit: int = 30) -> list[str]:
    """The confusions (labelled → proposed, count), most frequent first; then the diagonal sum."""
    wrong = [(k, n) for k, n in confusion.items() if k[0] != k[1]]
    wrong.sort(key=lambda item: (-item[1], item[0]))
    right = sum(n for k, n in confusion.items() if k[0] == k[1])
    lines = [f"  {truth} → {said}: {n}" for (truth, said), n in wrong[:limit]]
    if len(wrong) > limit:
        lines.append(f"  … 另有{len(wrong) - limit}种混淆")
    lines.append(f"  （判对{right}条）")
    return lines


PREDICTION_COLUMNS = (
    "category",
    "category_top3",
    "confidence",
    "class",
    "level",
    "primary_unit",
    "cooperating_units",
    "street",
)


def prediction_row(p: Proposal) -> list[str]:
    return [
        p.category,
        ";".join(c for c, _, _ in p.categories[:3]),
        f"{p.confidence:.3f}",
        p.incident_class,
        str(p.level),
        p.primary_unit or "",
        ";".join(p.cooperating_units),
        p.street.code or "",
    ]

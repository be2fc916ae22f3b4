"""The shape of the code, checked like behaviour: file sizes, templates that never restate the
lifecycle, no import cycles between apps, reads that never import writes, one vocabulary of event
kinds. Pure file reading, no database."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "liandong"
MAX_LINES = 500


def _python_files(*folders: Path) -> list[Path]:
    return sorted(
        p for folder in folders for p in folder.rglob("*.py") if "migrations" not in p.parts
    )


def test_no_source_file_is_over_500_lines() -> None:
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in _python_files(PACKAGE, ROOT / "tests", ROOT / "benchmarks")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, too_long


#: a comparison with anything named like a state: i.state, incident.status, d.get_state_display…
def test_every_action_module_is_under_400_lines() -> None:
    folders = [PACKAGE / "incidents" / "actions"]
    sizes = {
        p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in _python_files(*folders)
    }
    sizes["citylink/actions.py"] = len(
        (PACKAGE / "citylink" / "actions.py").read_text().splitlines()
    )
    assert all(n < 400 for n in sizes.values()), sizes


STATE_COMPARISON = re.compile(
    r"[\w.]*(state|status)\w*\s*(==|!=|\bin\b|\bnot in\b)|(==|!=|\bin\b)\s*[\w.]*(state|status)"
)


def test_no_template_compares_a_state() -> None:
    """Templates render buttons from available_actions only; a state check belongs in Python."""
    found = []
    for template in sorted(PACKAGE.rglob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            for tag in re.findall(r"{%\s*(?:if|elif)\b(.*?)%}", line):
                if STATE_COMPARISON.search(tag):
                    found.append(f"{template.relative_to(PACKAGE)}:{number}: {tag.strip()}")
    assert not found, "\n".join(found)


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "liandong":
        return None
    return parts[1] if len(parts) > 1 else None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_no_import_cycles_between_apps() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _python_files(PACKAGE):
        source = _app_of(_module_name(path))
        if source is None:
            continue
        for name in _imports(path):
            target = _app_of(name)
            if target and target != source:
                graph[source].add(target)
    cycles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    cycles.append(" → ".join([*trail, nxt]))
                elif nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
    assert not cycles, "\n".join(sorted(set(cycles)))


READ_MODULES = (
    "selectors",
    "access",
    "available",
    "backlog",
    "status",
    "rules",
    "lifecycle",
    "repeat_selectors",
)


def _is_write_module(name: str) -> bool:
    parts = name.split(".")
    return any(p in ("actions", "services") for p in parts[1:])


@pytest.mark.parametrize(
    "path",
    [p for p in _python_files(PACKAGE) if p.stem in READ_MODULES],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_reads_never_import_writes(path: Path) -> None:
    writes = sorted(n for n in _imports(path) if n.startswith("liandong") and _is_write_module(n))
    assert not writes, writes


def test_every_event_kind_has_a_label_and_the_city_mapping_uses_the_enumeration() -> None:
    from liandong.incidents.events import EVENT_KIND_LABELS, EventKind

    assert set(EVENT_KIND_LABELS) == set(EventKind)
    source = (PACKAGE / "citylink" / "reports.py").read_text(encoding="utf-8")
    mapping = source[source.index("REPORT_TYPE_OF_EVENT") :].split("}", 1)[0]
    keys = re.findall(r"^\s+(\S+):", mapping, flags=re.M)
    assert keys and all(k.startswith("EventKind.") for k in keys), keys


def test_actions_append_events_of_enumerated_kinds_only() -> None:
    """Every `kind=` an action passes to append_event is an EventKind member, never a string."""
    loose = []
    for path in _python_files(PACKAGE / "incidents" / "actions", PACKAGE / "citylink"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "append_event"
            ):
                for kw in node.keywords:
                    if kw.arg == "kind" and isinstance(kw.value, ast.Constant):
                        loose.append(f"{path.name}:{node.lineno}")
    assert not loose, loose

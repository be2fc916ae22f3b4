"""city_load.py's measuring: /metrics samples, resident memory from /proc, and printing."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import requests


@dataclass
class Sample:
    at: float  # seconds since the load began
    phase: str
    reports: int = 0  # city reports waiting or failing
    notifications: int = 0  # channel deliveries waiting or failing
    parked: int = 0  # of both
    watch_lateness: float = 0.0  # the oldest due step of the watch has waited this long
    people_waiting: int = 0  # dispatches and signs not yet due or not yet done
    people_behind: float = 0.0  # the most overdue of them is this late (the load generator's lag)
    rss: dict[str, float] = field(default_factory=dict)

    @property
    def drained(self) -> bool:
        return self.reports == 0 and self.notifications == 0

    def line(self) -> str:
        return (
            f"{self.at:6.0f} s {self.phase:<7} city reports {self.reports:6,}  notifications "
            f"{self.notifications:6,}  parked {self.parked}  watch {self.watch_lateness:5.1f} s  "
            f"office/units waiting {self.people_waiting:5,} ({self.people_behind:4.1f} s behind)  RSS "
            f"{self.rss.get('total', 0):.0f} MiB"
        )


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return sorted(found)


def memory(serve: int, workers: list[int]) -> dict[str, float]:
    """VmRSS in MiB of the gunicorn master, each gunicorn worker and each `liandong worker`."""
    out = {"gunicorn master": rss_mib(serve)}
    for n, pid in enumerate(children(serve), start=1):
        out[f"gunicorn worker {n}"] = rss_mib(pid)
    for n, pid in enumerate(workers, start=1):
        out[f"liandong worker {n}"] = rss_mib(pid)
    out["total"] = sum(out.values())
    return out


def read_metrics(
    base: str, at: float, phase: str, serve: int, workers: list[subprocess.Popen[bytes]]
) -> Sample:
    sample = Sample(at=at, phase=phase, rss=memory(serve, [w.pid for w in workers]))
    try:
        text = requests.get(f"{base}/metrics", timeout=30).text
    except requests.RequestException:
        return sample
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        number = float(value)
        if name.startswith("liandong_city_reports_backlog{"):
            if 'state="parked"' in name:
                sample.parked += int(number)
            else:
                sample.reports += int(number)
        elif name.startswith("liandong_notifications_backlog{"):
            if 'state="parked"' in name:
                sample.parked += int(number)
            else:
                sample.notifications += int(number)
        elif name == "liandong_watch_lateness_seconds":
            sample.watch_lateness = number
    return sample


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, -(-int(share * 1000) * len(ordered) // 1000) - 1))]


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)

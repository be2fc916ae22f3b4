"""Demo duty rosters, written through the real import (an .xlsx built here): a week of 8-hour shifts
for every tier-1 unit, a professional contact for tier 2, a coordinator for tier 3, and a leader for
each unit; the demo's duty officers and leaders are linked to their accounts."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import Workbook

from liandong import clock
from liandong.accounts.models import User
from liandong.rosters.services import do_import_roster_xlsx
from liandong.rosters.workbook import CONTACT_COLUMNS, CONTACT_SHEET, SHIFT_COLUMNS, SHIFT_SHEET
from liandong.units.models import Unit, UnitKind

SHIFTS = (("甲", 0), ("乙", 8), ("丙", 16))


def _account(username: str) -> str:
    return username if User.objects.filter(username=username).exists() else ""


def roster_workbook(days: int = 7) -> bytes:
    start = clock.to_beijing(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    book = Workbook()
    shifts = book.active
    shifts.title = SHIFT_SHEET
    shifts.append([c.header for c in SHIFT_COLUMNS])
    contacts = book.create_sheet(CONTACT_SHEET)
    contacts.append([c.header for c in CONTACT_COLUMNS])
    units = Unit.objects.filter(
        kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], active=True, tier__isnull=False
    ).order_by("tier", "id")
    for n, unit in enumerate(units):
        short = unit.name.removeprefix("区").removesuffix("街道")[:4]
        if unit.tier == 1:
            for day in range(days):
                for team, hour in SHIFTS:
                    begins = start + timedelta(days=day, hours=hour)
                    shifts.append(
                        [
                            unit.code,
                            unit.name,
                            begins.strftime("%Y-%m-%d %H:%M"),
                            (begins + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M"),
                            f"{short}值班员{team}",
                            f"139{n:04d}{hour:02d}{day:02d}",
                            f"{unit.name}值班室",
                            f"辽A·{n:03d}{hour:02d}",
                            "",
                            _account(f"zb-{unit.code}") if team == "乙" else "",
                        ]
                    )
        else:
            kind = "专业联系人" if unit.tier == 2 else "协调员"
            contacts.append(
                [
                    unit.code,
                    kind,
                    f"{short}联络员",
                    f"138{n:04d}0001",
                    "手机",
                    "",
                    _account(f"zb-{unit.code}"),
                ]
            )
        contacts.append(
            [
                unit.code,
                "主管领导",
                f"{short}主管领导",
                f"137{n:04d}0001",
                "手机",
                "",
                _account(f"ld-{unit.code}"),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def create_demo_rosters() -> str:
    return do_import_roster_xlsx(actor=None, data=roster_workbook()).message()

"""Writes of the monthly bulletin: draft (the worker on the 1st, exactly once; or by hand),
refresh the figures, edit the narrative and typical cases, publish with its number. A published
bulletin never changes (the table has no row out of `published`)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction

from liandong import clock
from liandong.accounts.models import User
from liandong.assessment.compose import compose, previous_month
from liandong.assessment.lifecycle import BULLETIN
from liandong.assessment.models import Bulletin
from liandong.common.errors import InvalidInput
from liandong.supervision.models import next_number

NUMBER_PREFIX = "于联通"
ISSUER = "于洪区110非警务警情联动处置工作领导小组办公室"


def _title(month: date) -> str:
    return f"关于{month:%Y}年{month.month}月全区110非警务警情联动处置工作情况的通报"


@transaction.atomic
def do_draft_bulletin(*, month: date, actor: User | None = None) -> Bulletin:
    """The month's draft (an existing one is returned as it is)."""
    first = month.replace(day=1)
    found = Bulletin.objects.filter(month=first).first()
    if found is not None:
        return found
    return Bulletin.objects.create(
        month=first,
        title=_title(first),
        data=compose(first),
        drafted_at=clock.now(),
        drafted_by=actor,
    )


def draft_last_month(*, now: datetime | None = None) -> int:
    """Worker task: on and after the 1st, last month's draft exists (written once)."""
    today = clock.to_beijing(now or clock.now()).date()
    month = previous_month(today)
    if Bulletin.objects.filter(month=month).exists():
        return 0
    try:
        do_draft_bulletin(month=month)
    except IntegrityError:  # another worker drafted it at the same moment
        return 0
    return 1


def _locked(bulletin: Bulletin, action: str) -> Bulletin:
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    BULLETIN.next_state(locked.state, action)
    return locked


@transaction.atomic
def do_refresh_bulletin(*, actor: User, bulletin: Bulletin) -> Bulletin:
    locked = _locked(bulletin, "refresh")
    locked.data = compose(locked.month)
    locked.save(update_fields=["data"])
    return locked


@transaction.atomic
def do_edit_bulletin(
    *, actor: User, bulletin: Bulletin, narrative: str, typical_cases: list[str]
) -> Bulletin:
    locked = _locked(bulletin, "edit")
    cases = [c.strip() for c in typical_cases if c.strip()]
    if len(narrative) > 5000:
        raise InvalidInput.one("narrative", "too_long", "工作要求不能超过5000个字符")
    if len(cases) > 10 or any(len(c) > 2000 for c in cases):
        raise InvalidInput.one("typical_cases", "too_long", "典型案例最多10个，每个不超过2000字")
    locked.narrative = narrative.strip()
    locked.typical_cases = cases
    locked.save(update_fields=["narrative", "typical_cases"])
    return locked


@transaction.atomic
def do_publish_bulletin(*, actor: User, bulletin: Bulletin) -> Bulletin:
    locked = _locked(bulletin, "publish")
    now = clock.now()
    year = clock.to_beijing(now).year
    locked.number = f"{NUMBER_PREFIX}〔{year}〕{next_number(NUMBER_PREFIX, year)}号"
    locked.state = BULLETIN.next_state(locked.state, "publish")
    locked.published_at = now
    locked.published_by = actor
    locked.save()
    return locked

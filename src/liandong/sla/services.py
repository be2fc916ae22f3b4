"""Writes of the stored calendar and time limits.

The deadlines counted on the calendar live in another app (incidents). Every change of the
arrangement writes, in its own transaction, a `CalendarRecompute` job: the worker then moves the
open working-day deadlines in chunks (incidents/actions/recompute.py), so the administrator's
request answers at once. The incidents app registers a hook here that counts the deadlines a job
will look at (for the administrator's message); the job's bookkeeping (take the newest job, split
it into chunks, count what the chunks did) is here too. This app never imports the incidents
app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from liandong import clock
from liandong.common.errors import FieldError, InvalidInput
from liandong.sla.deadlines import DEFAULT_LIMITS
from liandong.sla.models import (
    CalendarRecompute,
    EscalationStep,
    HolidayYear,
    RecomputeChunk,
    RecomputeState,
    TimeLimitSetting,
)
from liandong.sla.watch import DEFAULT_ESCALATE_AFTER_MINUTES, DEFAULT_LADDER
from liandong.sla.workcal import CalendarError, parse_year_arrangement

CalendarHook = Callable[[], int]
_calendar_hooks: list[CalendarHook] = []
UNFINISHED = (RecomputeState.PENDING, RecomputeState.RUNNING)


def register_calendar_hook(hook: CalendarHook) -> None:
    """Called (without arguments) inside the transaction of every change of the arrangement;
    returns how many open deadlines the recompute job will look at."""
    if hook not in _calendar_hooks:
        _calendar_hooks.append(hook)


def _request_recompute(reason: str) -> CalendarRecompute:
    """The job for the worker; it supersedes every older unfinished one. With no open
    working-day deadline (a new installation loading its calendar) it is done at once."""
    total = sum(int(hook() or 0) for hook in _calendar_hooks)
    now = clock.now()
    if total == 0:
        return CalendarRecompute.objects.create(
            requested_at=now, reason=reason, state=RecomputeState.DONE, finished_at=now
        )
    return CalendarRecompute.objects.create(requested_at=now, reason=reason, total=total)


def newest_recompute_job() -> CalendarRecompute | None:
    """The newest unfinished job, read without a lock (whose chunks a worker takes)."""
    return CalendarRecompute.objects.filter(state__in=UNFINISHED).order_by("-pk").first()


def take_recompute_job() -> CalendarRecompute | None:
    """The newest unfinished job, locked for splitting it into chunks (inside the caller's
    transaction), or None when there is none or another worker is splitting it. Older unfinished
    jobs are marked superseded and their chunks no worker holds are deleted: the newest job walks
    every open deadline again with the newest calendar."""
    newest = newest_recompute_job()
    if newest is None:
        return None
    job = CalendarRecompute.objects.select_for_update(skip_locked=True).filter(pk=newest.pk).first()
    if job is None or job.state not in UNFINISHED:
        return None
    CalendarRecompute.objects.filter(pk__lt=job.pk, state__in=UNFINISHED).update(
        state=RecomputeState.SUPERSEDED, finished_at=clock.now()
    )
    stale = (
        RecomputeChunk.objects.filter(job_id__lt=job.pk)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    RecomputeChunk.objects.filter(pk__in=list(stale)).delete()
    return job


def split_recompute_job(job: CalendarRecompute, *, bounds: list[int]) -> None:
    """The deadlines after the job's cursor, up to each of `bounds` in turn, as chunks (in the
    transaction holding the job): the cursor moves to the last bound."""
    after = [job.cursor, *bounds[:-1]]
    RecomputeChunk.objects.bulk_create(
        RecomputeChunk(job=job, after=lo, through=hi) for lo, hi in zip(after, bounds, strict=True)
    )
    job.cursor = bounds[-1]
    job.started_at = job.started_at or clock.now()
    job.state = RecomputeState.RUNNING
    job.save(update_fields=["cursor", "started_at", "state"])


def advance_recompute_job(
    job: CalendarRecompute, *, looked: int, moved: int, finished: bool
) -> None:
    """After a chunk, in the chunk's transaction: the counts (added in the database, since
    several workers finish chunks of one job), and the job done once `finished`. A job
    superseded meanwhile keeps its state."""
    now = clock.now()
    CalendarRecompute.objects.filter(pk=job.pk).update(
        done=F("done") + looked, moved=F("moved") + moved
    )
    CalendarRecompute.objects.filter(pk=job.pk, state__in=UNFINISHED).update(
        started_at=Coalesce("started_at", Value(now)),
        state=RecomputeState.DONE if finished else RecomputeState.RUNNING,
        finished_at=now if finished else None,
    )


@transaction.atomic
def ensure_default_time_limits() -> None:
    """The plan's time limits, the default warning shares and escalation ladder (kept if edited)."""
    if not EscalationStep.objects.exists():
        EscalationStep.objects.bulk_create(
            EscalationStep(level=level, stage=stage, audience=audience)
            for level in (1, 2)
            for stage, audiences in DEFAULT_LADDER.items()
            for audience in audiences
        )
    for level, limits in DEFAULT_LIMITS.items():
        TimeLimitSetting.objects.get_or_create(
            level=level,
            defaults={
                "sign_amount": limits.sign.amount,
                "sign_unit": limits.sign.unit.value,
                "feedback_amount": limits.feedback.amount,
                "feedback_unit": limits.feedback.unit.value,
                "result_amount": limits.result.amount,
                "result_unit": limits.result.unit.value,
                "caller_contact_minutes": limits.caller_contact_minutes,
                "escalate_after_minutes": DEFAULT_ESCALATE_AFTER_MINUTES[level],
            },
        )


@transaction.atomic
def do_save_holiday_year(
    *,
    year: int,
    holidays: Iterable[date | str],
    makeup_workdays: Iterable[date | str],
    source: str = "",
) -> HolidayYear:
    """Enter or correct one year's arrangement, and ask the worker to recompute every open
    deadline that the change can move (those counted in working days and not yet met or
    extended): the job is `CalendarRecompute.objects.first()` once this returns."""
    row = _save_year(year, holidays, makeup_workdays, source)
    _request_recompute(f"{year}年节假日安排")
    return row


def _save_year(
    year: int, holidays: Iterable[date | str], makeup_workdays: Iterable[date | str], source: str
) -> HolidayYear:
    try:
        arrangement = parse_year_arrangement(year, holidays, makeup_workdays)
    except CalendarError as exc:
        raise InvalidInput([FieldError("holidays", "invalid_date", str(exc))]) from exc
    if not 2000 <= year <= 2100:
        raise InvalidInput.one("year", "out_of_range", "年份应在2000至2100之间")
    row, _ = HolidayYear.objects.update_or_create(
        year=year,
        defaults={
            "holidays": sorted(d.isoformat() for d in arrangement.holidays),
            "makeup_workdays": sorted(d.isoformat() for d in arrangement.makeup_workdays),
            "source": source,
        },
    )
    return row


def do_import_calendar_yaml(*, text: str, source: str = "") -> list[int]:
    """Import years from YAML shaped like the shipped calendar-cn.yaml. All years or none; one
    recompute job for them all."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput.one("file", "invalid_yaml", f"文件不是有效的YAML：{exc}") from exc
    if not isinstance(data, dict) or not data:
        raise InvalidInput.one(
            "file", "invalid_shape", "文件应按年份列出 holidays 和 makeup_workdays"
        )
    years = []
    with transaction.atomic():
        for year, arrangement in sorted(data.items(), key=lambda item: str(item[0])):
            if not str(year).isdigit() or not isinstance(arrangement or {}, dict):
                raise InvalidInput.one("file", "invalid_shape", f"无法识别的年份：{year}")
            try:
                _save_year(
                    int(year),
                    (arrangement or {}).get("holidays", []),
                    (arrangement or {}).get("makeup_workdays", []),
                    source,
                )
            except InvalidInput as exc:
                problems = "；".join(f.message for f in exc.fields)
                raise InvalidInput.one("file", "invalid_date", f"{year}年：{problems}") from exc
            years.append(int(year))
        _request_recompute(f"导入{'、'.join(str(y) for y in years)}年节假日安排"[:200])
    return years

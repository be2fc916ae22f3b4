"""Writes of the triage app: training a version from the shipped examples and the office's
confirmed decisions (evaluated on the held-out fifth of the shipped ones before it is stored),
activating a version (rollback included), and the worker's retraining schedule. Each dispatch's
record against its proposal is written by the worker (records.py, ADR 23)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from liandong import clock
from liandong.common.errors import InvalidInput
from liandong.triage import data, evaluation
from liandong.triage.learn import Example, Model, train
from liandong.triage.models import ModelVersion, TriageRecord
from liandong.triage.proposal import StreetAnswer, propose
from liandong.triage.selectors import catalogue, forget_active_model

#: At most this many confirmed decisions are learnt (the most recent).
MAX_CONFIRMED = 20_000


def confirmed_examples() -> list[Example]:
    """The office's decisions: dispatched incidents with their category, class and level."""
    from liandong.incidents.models import Incident

    rows = (
        Incident.objects.filter(
            category__isnull=False,
            level__isnull=False,
            incident_class__in=["linked_disposal", "source_diversion"],
        )
        .order_by("-id")
        .values_list(
            "content",
            "address",
            "category__code",
            "incident_class",
            "level",
            "police_dispatched",
            "suggested_urgency",
        )[:MAX_CONFIRMED]
    )
    seen: set[str] = set()
    examples = []
    for content, address, category, incident_class, level, police, urgency in rows:
        if content in seen or level is None:
            continue
        seen.add(content)
        examples.append(
            Example(
                content, address, category, incident_class, int(level), police, urgency == "urgent"
            )
        )
    return examples


def installed_vocabulary() -> list[Example]:
    """The lexicon and this installation's catalogue (as the office edited it)."""
    from liandong.units.models import Category

    return data.vocabulary(
        Category.objects.filter(active=True).values_list("code", "name", "covers")
    )


def held_out_metrics(model: Model) -> dict[str, Any]:
    """The model's scores on the shipped held-out fifth (never part of that model's training)."""
    _, held_out = data.split(data.shipped())
    entries = catalogue()
    nowhere = StreetAnswer(None, None, "")
    proposals = [propose(model, e, entries, nowhere) for e in held_out]
    rows = [
        {"category": e.category, "class": e.incident_class, "level": str(e.level or "")}
        for e in held_out
    ]
    scores, _ = evaluation.score(rows, proposals)
    return {
        s.name: {
            "labelled": s.labelled,
            "top1": round(s.top1 / s.labelled, 4) if s.labelled else None,
            **(
                {"top3": round(s.top3 / s.labelled, 4)} if s.top3 is not None and s.labelled else {}
            ),
        }
        for s in scores
    }


@transaction.atomic
def do_train_model(*, trained_by: str) -> ModelVersion:
    """Train a new version and make it the active one; the previous stays for rollback."""
    shipped = data.shipped()
    training_part, _ = data.split(shipped)
    confirmed = confirmed_examples()
    held_out_texts = {e.content for e in shipped if data.is_held_out(e)}
    learnt = [e for e in confirmed if e.content not in held_out_texts]
    words = installed_vocabulary()
    metrics = held_out_metrics(train([*training_part, *learnt], words))
    model = train([*shipped, *learnt], words)
    ModelVersion.objects.select_for_update().filter(active=True).update(active=False)
    number = (ModelVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ModelVersion.objects.create(
        number=number,
        created_at=clock.now(),
        trained_by=trained_by[:100],
        shipped_examples=len(shipped),
        confirmed_examples=len(learnt),
        metrics=metrics,
        blob=model.to_bytes(),
        active=True,
    )
    _audit(f"训练研判模型第{number}版（{trained_by}）", number)
    return version


@transaction.atomic
def do_activate_model(*, number: int | None, by: str = "") -> ModelVersion | None:
    """Use version `number` (None: the model of the shipped examples) from now on."""
    target = None
    if number is not None:
        target = ModelVersion.objects.select_for_update().filter(number=number).first()
        if target is None:
            raise InvalidInput.one("number", "unknown", f"没有第{number}版研判模型")
    ModelVersion.objects.select_for_update().filter(active=True).update(active=False)
    if target is not None:
        ModelVersion.objects.filter(pk=target.pk).update(active=True)
        target.active = True
    forget_active_model()  # an update sends no signal
    _audit(
        f"启用研判模型{'第' + str(number) + '版' if number else '内置版'}{('（' + by + '）') if by else ''}",
        number,
    )
    return target


@transaction.atomic
def do_roll_back_model(*, by: str = "") -> ModelVersion | None:
    """Back to the version before the active one (or to the shipped model)."""
    current = ModelVersion.objects.select_for_update().filter(active=True).first()
    if current is None:
        raise InvalidInput.one("number", "nothing", "当前已在使用内置模型，无可回退的版本")
    previous = ModelVersion.objects.filter(number__lt=current.number).order_by("-number").first()
    return do_activate_model(number=previous.number if previous else None, by=by or "回退")


def _audit(summary: str, number: int | None) -> None:
    from liandong.audit.kinds import AuditKind
    from liandong.audit.services import do_record

    do_record(
        kind=AuditKind.RECORD_CHANGED, summary=summary, target=f"triage.modelversion:{number or 0}"
    )


def do_retrain_if_due(*, now: Any = None) -> int:
    """The worker's schedule: a new version every LIANDONG_TRIAGE_RETRAIN_DAYS days when the office
    has confirmed at least LIANDONG_TRIAGE_RETRAIN_MIN new decisions since the last one."""
    now = now or clock.now()
    if not _retraining_due(now):
        return 0
    with _only_one_trainer() as mine:
        # Another worker trains now, or has just finished: this one goes on with its round.
        if not mine or not _retraining_due(now):
            return 0
        do_train_model(trained_by="定期训练")
    return 1


def _retraining_due(now: Any) -> bool:
    days = getattr(settings, "LIANDONG_TRIAGE_RETRAIN_DAYS", 7)
    if not days:
        return False
    latest = ModelVersion.objects.order_by("-number").values_list("created_at", flat=True).first()
    if latest is not None and (now - latest).days < days:
        return False
    minimum = getattr(settings, "LIANDONG_TRIAGE_RETRAIN_MIN", 50)
    since = TriageRecord.objects.all()
    if latest is not None:
        since = since.filter(decided_at__gt=latest)
    # counts at most `minimum` rows, however many decisions have accumulated
    return since.values("pk")[:minimum].count() >= minimum


#: The key of the PostgreSQL advisory lock held by the worker that trains (any fixed number).
TRAINER_LOCK = 0x7472_6169_6E


@contextmanager
def _only_one_trainer() -> Iterator[bool]:
    """True for one worker at a time: training takes tens of seconds, so two workers must not both
    stop their rounds for it. A transaction-scoped advisory lock on PostgreSQL (held for the
    training, safe behind a transaction pooler); SQLite has one worker."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield True
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [TRAINER_LOCK])
            row = cursor.fetchone()
        yield bool(row and row[0])

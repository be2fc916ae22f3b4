"""What the statistics read: one fact row per instruction, derived from the instruction, its
incident, deadlines and requests, and a queue of incidents whose facts are stale.

Facts are derived data (ADR 14): every event marks its incident stale in the same transaction
(an event hook), and `facts.do_refresh_facts` rebuilds the facts of stale incidents from the
committed rows, in the worker and before any statistic is read. So a month's statistics are one
scan of narrow rows instead of seven joins over the instruction, incident and deadline tables."""

from __future__ import annotations

from django.db import models

from liandong.incidents.models import Incident, Instruction
from liandong.stats.definitions import KINDS
from liandong.units.models import Category, Unit


class InstructionFact(models.Model):
    instruction = models.OneToOneField(
        Instruction, primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )
    # No index on the four keys below: the statistics read facts by dispatch moment and due
    # moments only (scan.py), and without constraints nothing looks them up on a delete; an
    # index each would be written on every fact refresh (a calendar edit refreshes millions).
    incident = models.ForeignKey(
        Incident,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    dispatched_at = models.DateTimeField()
    primary = models.BooleanField()
    # what the statistics group by
    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    tier = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()
    category = models.ForeignKey(
        Category,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    street = models.ForeignKey(
        Unit,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    incident_class = models.CharField(max_length=20, blank=True)
    # deadlines completed in time or late, per kind (open ones past due move with the clock:
    # counted at read time from the due moments below)
    sign_met = models.PositiveSmallIntegerField(default=0)
    sign_missed = models.PositiveSmallIntegerField(default=0)
    feedback_met = models.PositiveSmallIntegerField(default=0)
    feedback_missed = models.PositiveSmallIntegerField(default=0)
    result_met = models.PositiveSmallIntegerField(default=0)
    result_missed = models.PositiveSmallIntegerField(default=0)
    caller_contact_met = models.PositiveSmallIntegerField(default=0)
    caller_contact_missed = models.PositiveSmallIntegerField(default=0)
    # the due moment of each kind's deadline while it runs (state open; NULL once met, missed or
    # stopped, or without one): "past due and still open" is then counted from the facts against
    # the clock at read time
    sign_due = models.DateTimeField(null=True)
    feedback_due = models.DateTimeField(null=True)
    result_due = models.DateTimeField(null=True)
    caller_contact_due = models.DateTimeField(null=True)
    # the dispatch moment of the incident's previous instruction (in dispatch order, then key):
    # any, and with the same unit, tier or level (NULL for the first). A fact is the first of its
    # incident in its group for a period starting at `start` when this is NULL or before `start`,
    # so distinct incidents are counted without a DISTINCT (selectors.compute)
    previous_at = models.DateTimeField(null=True)
    previous_unit_at = models.DateTimeField(null=True)
    previous_tier_at = models.DateTimeField(null=True)
    previous_level_at = models.DateTimeField(null=True)
    # minutes from dispatch to each stage (NULL until it happens)
    sign_minutes = models.FloatField(null=True)
    feedback_minutes = models.FloatField(null=True)
    result_minutes = models.FloatField(null=True)
    # requests and urges about the instruction
    returns_asked = models.PositiveSmallIntegerField(default=0)
    returns_granted = models.PositiveSmallIntegerField(default=0)
    joins_asked = models.PositiveSmallIntegerField(default=0)
    extensions_asked = models.PositiveSmallIntegerField(default=0)
    extensions_granted = models.PositiveSmallIntegerField(default=0)
    urges_office = models.PositiveSmallIntegerField(default=0)
    urges_city = models.PositiveSmallIntegerField(default=0)
    # the incident's call-backs, on the fact of its current primary instruction only (so each is
    # counted once)
    called_back = models.PositiveSmallIntegerField(default=0)
    satisfied = models.PositiveSmallIntegerField(default=0)
    reopened = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "统计事实"
        verbose_name_plural = "统计事实"
        indexes = [
            models.Index(fields=["dispatched_at"], name="fact_dispatched"),
            # what fell due since a cached count was made (scan.py): only running deadlines
            *(
                models.Index(
                    fields=[f"{kind}_due"],
                    name=f"fact_{kind}_due",
                    condition=models.Q(**{f"{kind}_due__isnull": False}),
                )
                for kind in KINDS
            ),
        ]

    def __str__(self) -> str:
        return f"指令{self.instruction_id}"


class StaleIncident(models.Model):
    """An incident whose facts must be rebuilt; one row per event (never updated, so a row
    written while a refresh runs survives it). `dues_only`: the events changed nothing the facts
    keep but the open deadlines' due moments (a calendar recompute's), so on PostgreSQL only
    those are refreshed (facts_sql.refresh_dues) unless the incident is also queued whole."""

    incident_pk = models.BigIntegerField()
    dues_only = models.BooleanField(default=False)

    class Meta:
        verbose_name = "待刷新统计"
        verbose_name_plural = "待刷新统计"

    def __str__(self) -> str:
        return f"警情{self.incident_pk}"


class FactDay(models.Model):
    """A Beijing day of dispatch and a random token replaced whenever a fact of an instruction
    dispatched that day is written (in the writing transaction): the statistics' cache key
    (scan.py). Random, not a counter, so a key is never reused (a restored database, tests)."""

    day = models.DateField(primary_key=True)
    token = models.BigIntegerField()

    class Meta:
        verbose_name = "统计事实日"
        verbose_name_plural = "统计事实日"

    def __str__(self) -> str:
        return str(self.day)

"""A whole proposal for one incident (pure): the model's answer, the escalation rules, then the
catalogue's units for the category (one responsible unit for source diversion; the primary and
cooperating units, with the street of jurisdiction where the catalogue says so, for linked
disposal). Every part says why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from liandong.triage import rules
from liandong.triage.learn import Answer, Example, Model, answer

LINKED, SOURCE = "linked_disposal", "source_diversion"
CLASS_LABELS = {LINKED: "联动处置类", SOURCE: "源头分流类"}


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    primary: str | None  # a unit code; None when the street of the place leads
    primary_is_street: bool
    cooperating: tuple[str, ...]
    street_joins: bool


@dataclass(frozen=True)
class StreetAnswer:
    code: str | None
    name: str | None
    reason: str


@dataclass(frozen=True)
class Proposal:
    categories: list[tuple[str, str, float]]  # (code, name, confidence), best three first
    category: str
    confidence: float
    category_reasons: list[str]
    incident_class: str
    class_confidence: float
    class_reasons: list[str]
    level: int
    level_confidence: float
    level_reasons: list[str]
    primary_unit: str | None
    cooperating_units: list[str]
    street: StreetAnswer
    unit_reasons: list[str] = field(default_factory=list)
    model_version: str = ""


def _quoted(grams: list[str]) -> str:
    return "、".join(f"“{g}”" for g in grams)


#: Below this confidence the model defers to the escalation rules (measured on the held-out
#: examples: the rules alone are wrong more often than the model, docs/triage.md).
RULES_DECIDE_BELOW = 0.55


def decide(
    label: str,
    confidence: float,
    grams: list[str],
    *,
    raised: str,
    cues: tuple[str, ...],
) -> tuple[str, float, list[str]]:
    """The model's answer for the class or the level, its reasons, and the escalation cues:
    they decide when the model is unsure, and are shown whenever they agree with the answer."""
    if cues and label != raised and confidence < RULES_DECIDE_BELOW:
        return raised, 1.0 - confidence, [*cues, f"模型把握不大（{confidence:.0%}），按升级情形"]
    reasons = [f"模型依据{_quoted(grams)}"] if grams else ["模型判断"]
    if cues and label == raised:
        reasons = [*cues, *reasons]
    return label, confidence, reasons


def propose(
    model: Model,
    example: Example,
    catalogue: Mapping[str, CatalogueEntry],
    street: StreetAnswer,
    *,
    version: str = "",
    said: Answer | None = None,
) -> Proposal:
    """`said`: the model's answer for `example` when the caller has it already (learn.labels_only
    for many at once)."""
    said = said or answer(model, example)
    ranked = [(code, p) for code, p in said.categories if code in catalogue]
    code, confidence = ranked[0] if ranked else (said.categories[0][0], said.categories[0][1])
    entry = catalogue.get(code)
    top3 = [(c, catalogue[c].name, round(p, 3)) for c, p in ranked[:3]]
    category_reasons = (
        [f"文本中的{_quoted(said.category_reasons)}"] if said.category_reasons else []
    )

    escalation = rules.escalation(example.content, police=example.police, urgent=example.urgent)
    incident_class, class_confidence, class_reasons = decide(
        said.incident_class,
        said.class_confidence,
        said.class_reasons,
        raised=LINKED,
        cues=escalation.linked_reasons,
    )
    level_label, level_confidence, level_reasons = decide(
        str(said.level),
        said.level_confidence,
        said.level_reasons,
        raised="1",
        cues=escalation.urgent_reasons,
    )
    level = int(level_label)

    primary: str | None = None
    cooperating: list[str] = []
    unit_reasons: list[str] = []
    if entry is not None:
        if entry.primary_is_street:
            primary = street.code
            unit_reasons.append(f"职责清单：{entry.name}由属地街道主责")
        else:
            primary = entry.primary
            unit_reasons.append(f"职责清单：{entry.name}由主责单位承办")
        if incident_class == LINKED:
            cooperating = [u for u in entry.cooperating if u != primary]
            if entry.street_joins and street.code and street.code not in (primary, *cooperating):
                cooperating.append(street.code)
                unit_reasons.append(f"联动处置类，属地街道参与（{street.reason}）")
        else:
            unit_reasons.append("源头分流类：只派主责单位")
    return Proposal(
        categories=top3,
        category=code,
        confidence=round(confidence, 3),
        category_reasons=category_reasons,
        incident_class=incident_class,
        class_confidence=round(class_confidence, 3),
        class_reasons=class_reasons,
        level=level,
        level_confidence=round(level_confidence, 3),
        level_reasons=level_reasons,
        primary_unit=primary,
        cooperating_units=cooperating,
        street=street,
        unit_reasons=unit_reasons,
        model_version=version,
    )

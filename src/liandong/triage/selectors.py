"""Reading proposals: the active model (a stored version, or the one trained from the shipped
examples), the catalogue as plain entries, the street of jurisdiction, and `propose` itself."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from liandong.common.kept import Kept
from liandong.triage import data
from liandong.triage.learn import Example, Model, train
from liandong.triage.models import ModelVersion
from liandong.triage.proposal import CLASS_LABELS, CatalogueEntry, Proposal, StreetAnswer, propose

SHIPPED = "内置"
_lock = threading.Lock()
_loaded: dict[int, Model] = {}


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    """Trained from every shipped example, once per process (deterministic, a few seconds)."""
    return train(data.shipped(), data.vocabulary())


def _read_active() -> tuple[int, int] | None:
    return ModelVersion.objects.filter(active=True).values_list("pk", "number").first()


#: Which version is active, as this process last read it: a training, an activation or a rollback
#: in this process is seen at once, in another within ACTIVE_SECONDS (services.py forgets it).
ACTIVE_SECONDS = 10.0
_active: Kept[tuple[int, int] | None] = Kept(_read_active, seconds=ACTIVE_SECONDS)
_active.forget_on_writes(ModelVersion)


def forget_active_model() -> None:
    _active.forget()


def active_model() -> tuple[Model, str]:
    """The model proposals use now, and its version's name."""
    row = _active.get()
    if row is None:
        return shipped_model(), SHIPPED
    pk, number = row
    return _stored(pk), f"第{number}版"


def _stored(pk: int) -> Model:
    """A stored version, unpickled once per process."""
    with _lock:
        model = _loaded.get(pk)
        if model is None:
            blob = ModelVersion.objects.values_list("blob", flat=True).get(pk=pk)
            model = _loaded[pk] = Model.from_bytes(bytes(blob))
    return model


def model_numbered(number: int | None) -> tuple[Model, str]:
    """Version `number` (None: the shipped model) and its name; the active model when that
    version is no longer stored."""
    if number is None:
        return shipped_model(), SHIPPED
    pk = ModelVersion.objects.filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        return active_model()
    return _stored(pk), f"第{number}版"


#: The catalogue and the units' names, read once per CATALOGUE_SECONDS per process (a proposal
#: must take milliseconds); an edit in this process forgets them at once (apps.py).
CATALOGUE_SECONDS = 30.0
_catalogue: tuple[float, dict[str, CatalogueEntry], dict[str, str]] | None = None


def forget_catalogue(**kwargs: Any) -> None:
    global _catalogue
    _catalogue = None


def _cached() -> tuple[dict[str, CatalogueEntry], dict[str, str]]:
    global _catalogue
    cached = _catalogue
    if cached is None or time.monotonic() - cached[0] > CATALOGUE_SECONDS:
        from liandong.units.models import Unit

        cached = (
            time.monotonic(),
            _read_catalogue(),
            dict(Unit.objects.values_list("code", "name")),
        )
        _catalogue = cached
    return cached[1], cached[2]


def catalogue() -> dict[str, CatalogueEntry]:
    return _cached()[0]


def _read_catalogue() -> dict[str, CatalogueEntry]:
    from liandong.units.models import Category

    entries = {}
    for c in (
        Category.objects.filter(active=True)
        .select_related("primary_unit")
        .prefetch_related("cooperating_units")
    ):
        entries[c.code] = CatalogueEntry(
            code=c.code,
            name=c.name,
            primary=c.primary_unit.code if c.primary_unit else None,
            primary_is_street=c.primary_is_street,
            cooperating=tuple(u.code for u in c.cooperating_units.all() if u.active),
            street_joins=c.street_joins,
        )
    return entries


def street_answer(address: str, lon: float | None = None, lat: float | None = None) -> StreetAnswer:
    from liandong.geography.selectors import street_of_jurisdiction

    decision = street_of_jurisdiction(address=address, lon=lon, lat=lat)
    return StreetAnswer(
        code=decision.street_code, name=decision.street_name, reason=decision.reason
    )


def propose_text(
    *,
    content: str,
    address: str = "",
    police: bool = False,
    urgent: bool = False,
    lon: float | None = None,
    lat: float | None = None,
) -> Proposal:
    model, version = active_model()
    example = Example(content=content, address=address, police=police, urgent=urgent)
    return propose(model, example, catalogue(), street_answer(address, lon, lat), version=version)


def _float(value: Decimal | float | None) -> float | None:
    return float(value) if value is not None else None


def propose_for_incident(incident: Any) -> Proposal:
    return propose_text(
        content=incident.content,
        address=incident.address,
        police=incident.police_dispatched,
        urgent=incident.suggested_urgency == "urgent",
        lon=_float(incident.longitude),
        lat=_float(incident.latitude),
    )


def proposal_dict(p: Proposal) -> dict[str, Any]:
    """What the API and the screens show of a proposal (units by code and name)."""
    names = _cached()[1]

    def ref(code: str | None) -> dict[str, str] | None:
        return {"code": code, "name": names.get(code, code)} if code else None

    return {
        "category": p.category,
        "confidence": p.confidence,
        "categories": [{"code": c, "name": n, "confidence": s} for c, n, s in p.categories],
        "category_reasons": p.category_reasons,
        "incident_class": p.incident_class,
        "incident_class_label": CLASS_LABELS.get(p.incident_class, p.incident_class),
        "class_confidence": p.class_confidence,
        "class_reasons": p.class_reasons,
        "level": p.level,
        "level_confidence": p.level_confidence,
        "level_reasons": p.level_reasons,
        "primary_unit": ref(p.primary_unit),
        "cooperating_units": [ref(c) for c in p.cooperating_units],
        "street": ref(p.street.code),
        "street_reason": p.street.reason,
        "unit_reasons": p.unit_reasons,
        "model_version": p.model_version,
    }

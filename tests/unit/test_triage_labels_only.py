"""The worker's batched answers (learn.labels_only, used for the record of each dispatch, ADR 23)
give exactly the labels and confidences of one-by-one answers, and so the same proposal."""

from __future__ import annotations

import pytest

from liandong.triage import data
from liandong.triage.learn import Model, answer, labels_only, train
from liandong.triage.proposal import CatalogueEntry, StreetAnswer, propose


@pytest.fixture(scope="module")
def model() -> Model:
    return train(data.shipped(), data.vocabulary())


def test_batched_answers_are_the_one_by_one_answers(model: Model) -> None:
    examples = data.shipped()[::7][:120]
    batched = labels_only(model, examples)
    for example, together in zip(examples, batched, strict=True):
        alone = answer(model, example)
        assert together.categories == alone.categories  # every label, the same floats
        assert (together.incident_class, together.class_confidence) == (
            alone.incident_class,
            alone.class_confidence,
        )
        assert (together.level, together.level_confidence) == (alone.level, alone.level_confidence)
    assert labels_only(model, []) == []


def test_a_proposal_from_a_batched_answer_records_the_same(model: Model) -> None:
    catalogue = {
        c: CatalogueEntry(c, c, "housing", False, (), False)
        for c in {e.category for e in data.shipped()}
    }
    nowhere = StreetAnswer(None, None, "")
    examples = data.shipped()[3::11][:60]
    for example, said in zip(examples, labels_only(model, examples), strict=True):
        alone = propose(model, example, catalogue, nowhere, version="v")
        together = propose(model, example, catalogue, nowhere, version="v", said=said)
        assert (together.category, together.confidence) == (alone.category, alone.confidence)
        assert (together.incident_class, together.level) == (alone.incident_class, alone.level)
        assert together.model_version == alone.model_version == "v"

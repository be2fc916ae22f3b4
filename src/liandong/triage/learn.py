"""The triage model, without Django: character n-gram TF-IDF and linear classifiers (scikit-learn)
for the category, the class and the level, with the reasons that weighed most.

Chinese needs no word segmentation here: character 1–3-grams of the normalised text carry the words
("漏水", "煤气味", "欠薪") and survive typos and regional wording better than a dictionary. A
linear support vector machine ranks the answers (it measured best on the held-out examples,
docs/triage.md); a softmax of its scores is the confidence, and its weights say which n-grams
pushed the answer (the reasons shown to the dispatcher). The category also learns from the
catalogue's own words and a lexicon of typical terms (data/lexicon.csv).

The class and the level also read the city's hints (police already sent, marked urgent) as tokens,
and a few rules of the catalogue's escalation signs decide the class on their own with the rule as
the reason (rules.py)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import joblib  # type: ignore[import-untyped]
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

#: The city's hints as words: their n-grams are shared with the same words in descriptions
#: ("已派警"), which measured better than tokens of their own.
POLICE_TOKEN = "〔已派警〕"
URGENT_TOKEN = "〔市平台紧急〕"
_BOILERPLATE = (
    "报警人称",
    "报警人反映",
    "来电反映",
    "来电人称",
    "群众报警称",
    "市民反映",
    "网友反映",
)


@dataclass(frozen=True)
class Example:
    content: str
    address: str = ""
    category: str = ""
    incident_class: str = ""
    level: int = 0
    police: bool = False
    urgent: bool = False


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, boilerplate openings removed, spaces squeezed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    for phrase in _BOILERPLATE:
        text = text.replace(phrase, " ")
    return " ".join(text.split())


def category_text(example: Example) -> str:
    return normalise(example.content)


def hinted_text(example: Example) -> str:
    hints = (POLICE_TOKEN if example.police else "") + (URGENT_TOKEN if example.urgent else "")
    return f"{hints} {normalise(example.content)}".strip()


#: How sharply margins turn into confidences (a margin of 1 between the best two ≈ 0.92).
SHARPNESS = 2.5


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, dtype=np.float32
    )


@dataclass
class Head:
    """One question (category, class or level): its vectorizer, classifier and n-gram names."""

    vectorizer: TfidfVectorizer
    classifier: LinearSVC
    names: np.ndarray = field(repr=False)

    @classmethod
    def fit(
        cls, texts: Sequence[str], labels: Sequence[str], c: float, balanced: bool = False
    ) -> Head:
        vectorizer = _vectorizer()
        matrix = vectorizer.fit_transform(texts)
        classifier = LinearSVC(C=c, class_weight="balanced" if balanced else None)
        classifier.fit(matrix, list(labels))
        return cls(vectorizer, classifier, vectorizer.get_feature_names_out())

    def ranked(self, text: str) -> tuple[list[tuple[str, float]], object]:
        """Every label, best first, with a confidence (a softmax of the margins)."""
        rankings, rows = self.ranked_many([text])
        return rankings[0], rows

    def ranked_many(self, texts: Sequence[str]) -> tuple[list[list[tuple[str, float]]], object]:
        """`ranked` for several texts at once (one transform, one product): the same numbers,
        row by row, for a fraction of the time each."""
        rows = self.vectorizer.transform(list(texts))
        margins = np.asarray(self.classifier.decision_function(rows), dtype=float)
        if margins.ndim == 1:  # binary: one margin per text toward the second label
            margins = np.column_stack([-margins, margins])
        labels = self.classifier.classes_
        rankings = []
        for scores in margins:
            weights = np.exp(SHARPNESS * (scores - scores.max()))
            probabilities = weights / weights.sum()
            order = np.argsort(probabilities)[::-1]
            rankings.append([(str(labels[i]), float(probabilities[i])) for i in order])
        return rankings, rows

    def reasons(self, row: object, label: str, limit: int = 4) -> list[str]:
        """The n-grams of the text that pushed hardest toward `label` (longest kept when they
        overlap), as the dispatcher reads them."""
        labels = list(self.classifier.classes_)
        coef = self.classifier.coef_
        weights = coef[0] if coef.shape[0] == 1 else coef[labels.index(label)]
        if coef.shape[0] == 1 and labels.index(label) == 0:
            weights = -weights  # a binary model's weights point at its second label
        indices = row.indices  # type: ignore[attr-defined]
        values = row.data  # type: ignore[attr-defined]
        scored = sorted(
            ((float(values[k] * weights[j]), str(self.names[j])) for k, j in enumerate(indices)),
            reverse=True,
        )
        chosen: list[str] = []
        for score, gram in scored:
            gram = gram.strip()
            if score <= 0 or len(gram) < 2 or "〔" in gram or "〕" in gram:
                continue
            if any(gram in kept for kept in chosen):
                continue
            chosen = [kept for kept in chosen if kept not in gram]
            chosen.append(gram)
            if len(chosen) >= limit:
                break
        return chosen


@dataclass
class Model:
    category: Head
    incident_class: Head
    level: Head
    trained_on: int

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        joblib.dump(self, out, compress=3)
        return out.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> Model:
        model = joblib.load(io.BytesIO(data))
        if not isinstance(model, Model):
            raise ValueError("not a triage model")
        return model


def train(examples: Sequence[Example], vocabulary: Sequence[Example] = ()) -> Model:
    """`examples` are whole labelled incidents; `vocabulary` adds category-only phrases (the
    catalogue's words, the lexicon) to the category's training."""
    usable = [e for e in examples if e.content.strip() and e.category]
    words = [e for e in vocabulary if e.content.strip() and e.category]
    return Model(
        category=Head.fit(
            [category_text(e) for e in [*usable, *words]],
            [e.category for e in [*usable, *words]],
            c=0.5,
        ),
        incident_class=Head.fit(
            [hinted_text(e) for e in usable if e.incident_class],
            [e.incident_class for e in usable if e.incident_class],
            c=1.0,
        ),
        level=Head.fit(
            [hinted_text(e) for e in usable if e.level],
            [str(e.level) for e in usable if e.level],
            c=1.0,
        ),
        trained_on=len(usable),
    )


@dataclass(frozen=True)
class Answer:
    """What the model says about one text; the selectors add units, street and repeats."""

    categories: list[tuple[str, float]]  # best first
    category_reasons: list[str]
    incident_class: str
    class_confidence: float
    class_reasons: list[str]
    level: int
    level_confidence: float
    level_reasons: list[str]


def labels_only(model: Model, examples: Sequence[Example]) -> list[Answer]:
    """The model's answers for several texts at once, without the reasons (the record of a
    dispatch keeps the labels and the confidence only): the labels and confidences `answer`
    gives, computed together."""
    if not examples:
        return []
    categories, _ = model.category.ranked_many([category_text(e) for e in examples])
    hinted = [hinted_text(e) for e in examples]
    classes, _ = model.incident_class.ranked_many(hinted)
    levels, _ = model.level.ranked_many(hinted)
    return [
        Answer(
            categories=ranked,
            category_reasons=[],
            incident_class=cls[0][0],
            class_confidence=cls[0][1],
            class_reasons=[],
            level=int(lvl[0][0]),
            level_confidence=lvl[0][1],
            level_reasons=[],
        )
        for ranked, cls, lvl in zip(categories, classes, levels, strict=True)
    ]


def answer(model: Model, example: Example) -> Answer:
    ranked, row = model.category.ranked(category_text(example))
    best = ranked[0][0]
    hinted = hinted_text(example)
    classes, class_row = model.incident_class.ranked(hinted)
    levels, level_row = model.level.ranked(hinted)
    return Answer(
        categories=ranked,
        category_reasons=model.category.reasons(row, best),
        incident_class=classes[0][0],
        class_confidence=classes[0][1],
        class_reasons=model.incident_class.reasons(class_row, classes[0][0]),
        level=int(levels[0][0]),
        level_confidence=levels[0][1],
        level_reasons=model.level.reasons(level_row, levels[0][0]),
    )

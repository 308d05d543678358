"""Evidence: which words pushed a sentence towards a label, as spans of the text.

For the linear model a feature's contribution to a label is its TF-IDF value times the
label's coefficient. The featurizer's `analyze` traces each feature back to the words
that produce it: character n-grams and word unigrams count for their word, word bigrams
and trigrams for their run of words. A feature produced at several places shares its
contribution among them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from app.core.model import FramingModel

_PUNCT = "\"'“”‘’«»()[]{}.,;:!?…-–—"
MAX_EVIDENCE = 6


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the document (offsets in code points) and how much it raised a label."""

    start: int
    end: int
    text: str
    weight: float


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without punctuation at its edges (unless that is all it holds)."""
    a, b = start, end
    while a < b and text[a] in _PUNCT:
        a += 1
    while b > a and text[b - 1] in _PUNCT:
        b -= 1
    return (a, b) if a < b else (start, end)


def explain_sentence(
    model: FramingModel, text: str, labels: list[str], offset: int = 0
) -> dict[str, list[Evidence]]:
    """For each label in `labels`, the spans of `text` that raised its score most."""
    if not labels:
        return {}
    scorer = model.scorer
    row = scorer.features([text])
    values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    occurrences = [o for o in scorer.featurizer.analyze(text) if o.column in values]
    if not occurrences:
        return {label: [] for label in labels}
    shares = Counter(o.column for o in occurrences)
    columns = np.fromiter((o.column for o in occurrences), dtype=np.int64)
    share = np.fromiter((values[o.column] / shares[o.column] for o in occurrences), float)
    spans = [_trimmed(text, o.start, o.end) for o in occurrences]
    out: dict[str, list[Evidence]] = {}
    for label in labels:
        contribution = share * scorer.weights[columns, model.labels.index(label)]
        weights: dict[tuple[int, int], float] = defaultdict(float)
        for span, w in zip(spans, contribution.tolist(), strict=True):
            weights[span] += w
        ranked = sorted(((w, s) for s, w in weights.items() if w > 0), reverse=True)
        out[label] = [
            Evidence(offset + s, offset + e, text[s:e], round(w, 4))
            for w, (s, e) in ranked[:MAX_EVIDENCE]
        ]
    return out

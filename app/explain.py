"""Evidence: which words pushed a sentence towards a label, as spans of the text.

For the linear model a feature's contribution to a label is its TF-IDF value times the
label's coefficient. Hashed features are traced back to the words that produce them:
word unigrams and character n-grams count for the word they lie in, word bigrams for
the pair of words. A feature seen at several places shares its contribution among them.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from app.features import TOKEN, HashedNgrams, feature_index
from app.model import FramingModel

_WORD = re.compile(r"\S+")
_PUNCT = "\"'“”‘’«»()[]{}.,;:!?…-–—"
MAX_EVIDENCE = 6


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _PUNCT:
        start += 1
    while end > start and text[end - 1] in _PUNCT:
        end -= 1
    return start, end


def _occurrences(model: FramingModel, text: str) -> list[tuple[tuple[int, int], int]]:
    """(span, column) for each feature occurrence that a word or word pair produces."""
    featurizer: HashedNgrams = model.pipeline.named_steps["hash"]
    n_words = featurizer.n_word_features
    found: list[tuple[tuple[int, int], int]] = []
    word_of: dict[int, tuple[int, int]] = {}
    for match in _WORD.finditer(text):
        start, end = match.span()
        span = _trimmed(text, start, end)
        if span[0] == span[1]:  # a word of punctuation only
            span = (start, end)
        for pos in range(start, end):
            word_of[pos] = span
        found.extend((span, int(col)) for col in featurizer.char_columns(match.group().lower()))
    tokens = [(m.group().lower(), m.span()) for m in TOKEN.finditer(text)]
    for token, (start, end) in tokens:
        found.append((word_of.get(start, (start, end)), feature_index(token, n_words)))
    for (a, (start, _)), (b, (_, end)) in itertools.pairwise(tokens):
        found.append(((start, end), feature_index(f"{a} {b}", n_words)))
    return found


def explain_sentence(
    model: FramingModel, text: str, labels: list[str], offset: int = 0
) -> dict[str, list[dict[str, Any]]]:
    """For each label in `labels`, the spans of `text` that raised its score most."""
    if not labels:
        return {}
    steps = model.pipeline.named_steps
    row = steps["tfidf"].transform(steps["hash"].transform([text])).tocsr()
    values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    occurrences = [(span, col) for span, col in _occurrences(model, text) if col in values]
    shares = Counter(col for _, col in occurrences)
    estimators = steps["clf"].estimators_
    out: dict[str, list[dict[str, Any]]] = {}
    for label in labels:
        coef = estimators[model.labels.index(label)].coef_
        coef = np.ravel(coef.toarray() if hasattr(coef, "toarray") else coef)
        weights: dict[tuple[int, int], float] = defaultdict(float)
        for span, col in occurrences:
            weights[span] += values[col] * coef[col] / shares[col]
        ranked = sorted(((w, s) for s, w in weights.items() if w > 0 and s[0] < s[1]), reverse=True)
        out[label] = [
            {"start": offset + s, "end": offset + e, "text": text[s:e], "weight": round(w, 4)}
            for w, (s, e) in ranked[:MAX_EVIDENCE]
        ]
    return out

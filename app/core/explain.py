"""Evidence: which words pushed a sentence towards a label, as spans of the text.

For the linear model a feature's contribution to a label is its TF-IDF value times the
label's coefficient. The featurizer's `analyze` traces each feature back to the words
that produce it: character n-grams and word unigrams count for their word, word bigrams
and trigrams for their run of words. A feature produced at several places shares its
contribution among them. All of it is array arithmetic over the sentence's features, so
explaining costs about what classifying costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

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


def _explain_row(
    model: FramingModel,
    row: sparse.csr_matrix,
    text: str,
    labels: list[str],
    offset: int,
) -> dict[str, list[Evidence]]:
    found = model.scorer.featurizer.analyze(text)
    out: dict[str, list[Evidence]] = {label: [] for label in labels}
    if not len(found.columns) or not row.nnz:
        return out
    # Each occurrence's TF-IDF value, shared among the occurrences of its column.
    at = np.searchsorted(row.indices, found.columns)
    value = row.data[np.minimum(at, len(row.data) - 1)]
    value[row.indices[np.minimum(at, len(row.indices) - 1)] != found.columns] = 0.0
    _, which, per_column = np.unique(found.columns, return_inverse=True, return_counts=True)
    share = value / per_column[which]
    # Occurrences grouped by span, trimmed of punctuation: one weight per word or run
    # of words ("fabrication." and its token "fabrication" are one span).
    width = len(text) + 1
    raw, raw_of = np.unique(found.starts * width + found.ends, return_inverse=True)
    trimmed = [_trimmed(text, int(key // width), int(key % width)) for key in raw]
    spans = sorted(set(trimmed))
    index = {span: k for k, span in enumerate(spans)}
    span_of = np.array([index[t] for t in trimmed], dtype=np.int64)[raw_of.ravel()]
    for label in labels:
        contribution = share * model.scorer.weights[found.columns, model.labels.index(label)]
        weight = np.bincount(span_of, weights=contribution, minlength=len(spans))
        top = [k for k in np.argsort(-weight, kind="stable")[:MAX_EVIDENCE] if weight[k] > 0]
        out[label] = [
            Evidence(
                offset + spans[k][0],
                offset + spans[k][1],
                text[slice(*spans[k])],
                round(float(weight[k]), 4),
            )
            for k in top
        ]
    return out


def explain_sentences(
    model: FramingModel,
    texts: list[str],
    labels: list[list[str]],
    offsets: list[int],
    features: sparse.csr_matrix | None = None,
) -> list[dict[str, list[Evidence]]]:
    """For each sentence, and each label in its `labels`, the spans that raised it most.

    `offsets` place each sentence in its document, so the spans index the document;
    `features`, the sentences' TF-IDF rows when the caller has them already.
    """
    wanted = [i for i, found in enumerate(labels) if found]
    out: list[dict[str, list[Evidence]]] = [{} for _ in texts]
    if not wanted:
        return out
    if features is None:
        rows = model.scorer.features([texts[i] for i in wanted])
    else:
        rows = features[wanted]
    for k, i in enumerate(wanted):
        out[i] = _explain_row(model, rows[k], texts[i], labels[i], offsets[i])
    return out


def explain_sentence(
    model: FramingModel, text: str, labels: list[str], offset: int = 0
) -> dict[str, list[Evidence]]:
    """For each label in `labels`, the spans of `text` that raised its score most."""
    return explain_sentences(model, [text], [labels], [offset])[0]

"""Evidence: which words pushed a sentence towards a label, as spans of the text.

A sentence's log-odds for a label is the sum of its feature occurrences' contributions
(app/core/model.py), so each occurrence's share is exact. The featurizer traces each
occurrence to the words that produce it: a character n-gram to its word, a word n-gram
to its run of words. Contributions are summed per span (trimmed of punctuation) and the
strongest positive ones are the evidence. All of it is array arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.features import Occurrences
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


def _evidence(
    text: str,
    found: Occurrences,
    parts: np.ndarray,
    labels: list[str],
    index: dict[str, int],
    offset: int,
) -> dict[str, list[Evidence]]:
    """Evidence of one sentence from its occurrences and their contributions."""
    if not len(found.columns):
        return {label: [] for label in labels}
    width = len(text) + 1
    raw, raw_of = np.unique(found.starts * width + found.ends, return_inverse=True)
    trimmed = [_trimmed(text, int(key // width), int(key % width)) for key in raw]
    spans = sorted(set(trimmed))
    where = {span: k for k, span in enumerate(spans)}
    span_of = np.array([where[t] for t in trimmed], dtype=np.int64)[raw_of.ravel()]
    out: dict[str, list[Evidence]] = {}
    for label in labels:
        weight = np.bincount(span_of, weights=parts[:, index[label]], minlength=len(spans))
        top = [k for k in np.argsort(-weight, kind="stable")[:MAX_EVIDENCE] if weight[k] > 0]
        out[label] = [
            Evidence(
                offset + spans[k][0],
                offset + spans[k][1],
                text[spans[k][0] : spans[k][1]],
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
) -> list[dict[str, list[Evidence]]]:
    """For each sentence, and each label in its `labels`, the spans that raised it most.

    `offsets` place each sentence in its document, so the spans index the document.
    """
    out: list[dict[str, list[Evidence]]] = [{} for _ in texts]
    wanted = [i for i, found in enumerate(labels) if found]
    if not wanted:
        return out
    index = {label: j for j, label in enumerate(model.labels)}
    batch = [texts[i] for i in wanted]
    found = model.hasher.occurrences(batch, spans=True)
    parts = model.contributions(found, len(batch))
    order = np.argsort(found.rows, kind="stable")
    bounds = np.searchsorted(found.rows[order], np.arange(len(batch) + 1))
    for k, i in enumerate(wanted):
        text = texts[i]
        if len(text.lower()) != len(text):  # spans must be mapped back one by one
            mine = model.hasher.analyze(text)
            mine_parts = model.contributions(mine, 1)
        else:
            pick = order[bounds[k] : bounds[k + 1]]
            mine = Occurrences(*(a[pick] for a in found))
            mine_parts = parts[pick]
        out[i] = _evidence(text, mine, mine_parts, labels[i], index, offsets[i])
    return out


def explain_sentence(
    model: FramingModel, text: str, labels: list[str], offset: int = 0
) -> dict[str, list[Evidence]]:
    """For each label in `labels`, the spans of `text` that raised its score most."""
    return explain_sentences(model, [text], [labels], [offset])[0]

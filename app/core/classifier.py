"""Turning documents into labelled sentences: detect, segment, route, score, explain.

The results are plain data; the API, the batch engines and the CLI each present them
their own way.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.core.explain import Evidence, explain_sentences
from app.core.features import TOKEN
from app.core.language import Detection, UnsupportedLanguage
from app.core.model import ModelSet
from app.core.segment import split_sentences

SCORE_DECIMALS = 4


@dataclass(frozen=True, slots=True)
class SentenceResult:
    index: int
    start: int
    end: int
    text: str
    language: str
    labels: list[str]
    scores: dict[str, float]
    evidence: dict[str, list[Evidence]] | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    sentences: int
    labelled: int
    counts: dict[str, int]
    languages: dict[str, int]


@dataclass(frozen=True, slots=True)
class DocumentResult:
    language: Detection
    sentences: list[SentenceResult]
    summary: Summary
    models: dict[str, str] = field(default_factory=dict)  # version of each model used


class TooManySentences(ValueError):
    """The texts cut into more sentences than a limit allows (checked before scoring)."""

    def __init__(self, what: str, count: int, limit: int, index: int | None = None) -> None:
        self.what = what  # "document", "request" or "explained"
        self.count = count
        self.limit = limit
        self.index = index  # the document, for a per-document limit
        super().__init__(f"{count} sentences; the limit is {limit}")


@dataclass(frozen=True, slots=True)
class Limits:
    """How many sentences one document, one call and one call with evidence may have."""

    per_document: int | None = None
    per_call: int | None = None
    explained: int | None = None

    def check(self, counts: list[int], explain: bool) -> None:
        for index, count in enumerate(counts):
            if self.per_document is not None and count > self.per_document:
                raise TooManySentences("document", count, self.per_document, index)
        total = sum(counts)
        if self.per_call is not None and total > self.per_call:
            raise TooManySentences("request", total, self.per_call)
        if explain and self.explained is not None and total > self.explained:
            raise TooManySentences("explained", total, self.explained)


def _has_words(text: str) -> bool:
    """Whether a sentence holds a word of two letters or more: "A", "1." or "—" cannot
    make a framing move, whatever their character n-grams score."""
    return TOKEN.search(text) is not None


def _labels_on(labels: list[str], decided: np.ndarray, sentences: list[str]) -> list[list[str]]:
    """Each sentence's labels that are on: none for a sentence without a word. Only the
    few sentences with a label decided are read (or searched for a word)."""
    on: list[list[str]] = [[] for _ in sentences]
    rows = decided.tolist()
    for i in np.flatnonzero(decided.any(axis=1)).tolist():
        if _has_words(sentences[i]):
            on[i] = [label for label, hit in zip(labels, rows[i], strict=True) if hit]
    return on


def detect(models: ModelSet, text: str, requested: str | None) -> Detection | UnsupportedLanguage:
    """The language `text` is read in, or the refusal when no model reads it."""
    try:
        return models.detector.detect(text, requested)
    except UnsupportedLanguage as exc:
        return exc


def classify(
    models: ModelSet,
    texts: Sequence[str],
    explain: bool = False,
    languages: Sequence[str | Detection | None] | None = None,
    limits: Limits | None = None,
    stop: threading.Event | None = None,
) -> list[DocumentResult]:
    """Each text's sentences, labels, scores and language, one model call per language.

    `languages` gives, per text, a language the caller asks for, a detection already
    made, or None to detect it. Raises UnsupportedLanguage (with its `index`) for the
    first text none of the models reads, TooManySentences when the texts break `limits`,
    and Cancelled when `stop` is set (the caller has gone).
    """
    given = languages if languages is not None else [None] * len(texts)
    detections: list[Detection] = []
    for index, (text, language) in enumerate(zip(texts, given, strict=True)):
        found = language if isinstance(language, Detection) else detect(models, text, language)
        if isinstance(found, UnsupportedLanguage):
            found.index = index
            raise found
        detections.append(found)
    spans = []
    for text in texts:
        _check(stop)
        spans.append(split_sentences(text))
    if limits is not None:
        limits.check([len(doc) for doc in spans], explain)
    flat = [text[s.start : s.end] for text, doc in zip(texts, spans, strict=True) for s in doc]
    routed: list[str] = []
    for text, detection, doc in zip(texts, detections, spans, strict=True):
        if detection.source == "request":
            routed += [detection.language] * len(doc)
        else:
            routed += models.detector.sentence_languages(text, doc, detection.language)

    labels = models.labels
    scores = np.zeros((len(flat), len(labels)))
    decided = np.zeros((len(flat), len(labels)), dtype=bool)
    for language, model in models.models.items():
        if all(lang == language for lang in routed):  # the usual case: no gathering
            if flat:
                scores = model.scores(flat)
                decided = model.decide(scores)
                _check(stop)
            break
        rows = [i for i, lang in enumerate(routed) if lang == language]
        if rows:
            part = model.scores([flat[i] for i in rows])
            scores[rows] = part
            decided[rows] = model.decide(part)
            _check(stop)
    rounded = np.round(scores, SCORE_DECIMALS).tolist()
    on_labels = _labels_on(labels, decided, flat)
    evidence: list[dict[str, list[Evidence]] | None] = [None] * len(flat)
    if explain:
        _check(stop)
        starts = [s.start for doc in spans for s in doc]
        for language, model in models.models.items():
            rows = [i for i, lang in enumerate(routed) if lang == language]
            if not rows:
                continue
            explained = explain_sentences(
                model,
                [flat[i] for i in rows],
                [on_labels[i] for i in rows],
                [starts[i] for i in rows],
            )
            for i, item in zip(rows, explained, strict=True):
                evidence[i] = item

    results: list[DocumentResult] = []
    row = 0
    for detection, doc in zip(detections, spans, strict=True):
        end = row + len(doc)
        sentences = [
            SentenceResult(
                index,
                span.start,
                span.end,
                flat[i],
                routed[i],
                on_labels[i],
                dict(zip(labels, rounded[i], strict=True)),
                evidence[i],
            )
            for index, (i, span) in enumerate(zip(range(row, end), doc, strict=True))
        ]
        counts = dict.fromkeys(labels, 0)
        for on in on_labels[row:end]:
            for label in on:
                counts[label] += 1
        by_language = dict(Counter(routed[row:end]))  # in order of first appearance
        summary = Summary(
            sentences=len(sentences),
            labelled=sum(1 for on in on_labels[row:end] if on),
            counts=counts,
            languages=by_language,
        )
        used = {lang: models[lang].version for lang in by_language} or {
            detection.language: models[detection.language].version
        }
        results.append(DocumentResult(detection, sentences, summary, used))
        row = end
    return results


class Cancelled(RuntimeError):
    """The caller asked classification to stop (its client went away)."""


def _check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Cancelled("classification was cancelled")


def classify_each(
    models: ModelSet,
    texts: Sequence[str],
    explain: bool = False,
    language: str | None = None,
) -> list[DocumentResult | UnsupportedLanguage]:
    """Like `classify`, but a text no model reads gives its refusal instead of raising.

    For batch runs, where one document in an unsupported language must not stop the rest.
    """
    found = [detect(models, text, language) for text in texts]
    readable = [(i, d) for i, d in enumerate(found) if isinstance(d, Detection)]
    done = classify(models, [texts[i] for i, _ in readable], explain, [d for _, d in readable])
    results = iter(done)
    return [next(results) if isinstance(d, Detection) else d for d in found]

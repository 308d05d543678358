"""Turning documents into labelled sentences, one model call per language per request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from app.explain import explain_sentence
from app.language import Detection, UnsupportedLanguage
from app.model import ModelSet
from app.schemas import Evidence, LanguageInfo, Sentence, Summary
from app.segment import split_sentences

SCORE_DECIMALS = 4


class Classified(NamedTuple):
    sentences: list[Sentence]
    summary: Summary
    language: LanguageInfo


def _detect(models: ModelSet, text: str, requested: str | None) -> Detection | UnsupportedLanguage:
    try:
        return models.detector.detect(text, requested)
    except UnsupportedLanguage as exc:
        return exc


def detect_each(
    models: ModelSet, texts: Sequence[str], requested: str | None = None
) -> list[Detection | UnsupportedLanguage]:
    """Each text's language, or the refusal for a text none of the models reads."""
    return [_detect(models, text, requested) for text in texts]


def classify_texts(
    models: ModelSet,
    texts: Sequence[str],
    explain: bool = False,
    languages: Sequence[str | Detection | None] | None = None,
) -> list[Classified]:
    """Sentences, a summary and the language of each text.

    `languages` gives, per text, a language the caller asks for, a detection already
    made, or None to detect it. Raises UnsupportedLanguage for a text none of the models
    reads.
    """
    given = languages if languages is not None else [None] * len(texts)
    detections: list[Detection] = []
    for index, (text, language) in enumerate(zip(texts, given, strict=True)):
        found = language if isinstance(language, Detection) else _detect(models, text, language)
        if isinstance(found, UnsupportedLanguage):
            found.index = index
            raise found
        detections.append(found)
    spans = [split_sentences(text) for text in texts]
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
        rows = [i for i, lang in enumerate(routed) if lang == language]
        if rows:
            part = model.scores([flat[i] for i in rows])
            scores[rows] = part
            decided[rows] = model.decide(part)

    results: list[Classified] = []
    row = 0
    for detection, doc in zip(detections, spans, strict=True):
        sentences: list[Sentence] = []
        counts = dict.fromkeys(labels, 0)
        by_language: dict[str, int] = {}
        for index, span in enumerate(doc):
            language = routed[row]
            by_language[language] = by_language.get(language, 0) + 1
            on = [label for label, hit in zip(labels, decided[row], strict=True) if hit]
            for label in on:
                counts[label] += 1
            evidence = None
            if explain:
                evidence = {
                    label: [Evidence(**e) for e in found]
                    for label, found in explain_sentence(
                        models[language], flat[row], on, span.start
                    ).items()
                }
            sentences.append(
                Sentence(
                    index=index,
                    start=span.start,
                    end=span.end,
                    text=flat[row],
                    language=language,
                    labels=on,
                    scores={
                        label: round(float(v), SCORE_DECIMALS)
                        for label, v in zip(labels, scores[row], strict=True)
                    },
                    evidence=evidence,
                )
            )
            row += 1
        summary = Summary(
            sentences=len(sentences),
            labelled=sum(1 for s in sentences if s.labels),
            counts=counts,
            languages=by_language,
        )
        info = LanguageInfo(
            code=detection.language, source=detection.source, confidence=detection.confidence
        )
        results.append(Classified(sentences, summary, info))
    return results

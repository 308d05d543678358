"""Turning documents into labelled sentences with one model call per request."""

from __future__ import annotations

from app.explain import explain_sentence
from app.model import FramingModel
from app.schemas import Evidence, Sentence, Summary
from app.segment import split_sentences

SCORE_DECIMALS = 4


def classify_texts(
    model: FramingModel, texts: list[str], explain: bool = False
) -> list[tuple[list[Sentence], Summary]]:
    """Sentences and a summary for each text, scoring all sentences of all texts at once."""
    spans = [split_sentences(text) for text in texts]
    flat = [text[s.start : s.end] for text, doc in zip(texts, spans, strict=True) for s in doc]
    scores = model.scores(flat)
    decided = model.decide(scores)
    labels = model.labels
    results: list[tuple[list[Sentence], Summary]] = []
    row = 0
    for doc in spans:
        sentences: list[Sentence] = []
        counts = dict.fromkeys(labels, 0)
        for index, span in enumerate(doc):
            on = [label for label, hit in zip(labels, decided[row], strict=True) if hit]
            for label in on:
                counts[label] += 1
            evidence = None
            if explain:
                evidence = {
                    label: [Evidence(**e) for e in spans]
                    for label, spans in explain_sentence(model, flat[row], on, span.start).items()
                }
            sentences.append(
                Sentence(
                    index=index,
                    start=span.start,
                    end=span.end,
                    text=flat[row],
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
        )
        results.append((sentences, summary))
    return results

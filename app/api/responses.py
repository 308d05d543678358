"""Response bodies for /classify and /classify/batch, encoded straight from the results.

Building a pydantic object per sentence (and having FastAPI validate and serialise them
again) cost more than classifying an article. These functions write the same JSON the
response models describe (`ClassifyResponse`, `BatchResponse`; fields that are None left
out), and tests/api/test_responses.py checks that the models accept it unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
from fastapi.responses import Response

from app.core.classifier import DocumentResult, SentenceResult
from app.core.model import ModelSet


def _sentence(s: SentenceResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": s.index,
        "start": s.start,
        "end": s.end,
        "text": s.text,
        "language": s.language,
        "labels": s.labels,
        "scores": s.scores,
    }
    if s.evidence is not None:
        out["evidence"] = {
            label: [
                {"start": e.start, "end": e.end, "text": e.text, "weight": e.weight} for e in found
            ]
            for label, found in s.evidence.items()
        }
    return out


def document(result: DocumentResult) -> dict[str, Any]:
    """A document's language, sentences and summary."""
    detection = result.language
    language: dict[str, Any] = {"code": detection.language, "source": detection.source}
    if detection.confidence is not None:
        language["confidence"] = detection.confidence
    summary = result.summary
    return {
        "language": language,
        "sentences": [_sentence(s) for s in result.sentences],
        "summary": {
            "sentences": summary.sentences,
            "labelled": summary.labelled,
            "counts": summary.counts,
            "languages": summary.languages,
        },
    }


def model_refs(models: ModelSet, results: list[DocumentResult]) -> list[dict[str, str]]:
    """The models that read these results' sentences, in serving order."""
    used = {lang for r in results for lang in r.models}
    return [
        {"name": m.manifest.name, "version": m.version, "language": lang}
        for lang, m in models.models.items()
        if lang in used
    ]


def json_response(body: dict[str, Any]) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(content, media_type="application/json")


def results_response(body: dict[str, Any]) -> Response:
    """A classify or batch body as JSON, encoded by pydantic-core (in Rust: a fifth of
    json.dumps' time on an article's results).

    The bytes are json_response's: the same separators, UTF-8 unescaped, and the same
    text for every number these bodies hold. The two differ only on floats below 1e-4
    ("1e-05" against "0.00001"), and here every float is a score, weight or confidence
    rounded to 4 decimals, so none is.
    """
    return Response(pydantic_core.to_json(body), media_type="application/json")


def classify_body(models: ModelSet, result: DocumentResult) -> dict[str, Any]:
    return {"models": model_refs(models, [result]), "labels": models.labels, **document(result)}


def batch_body(models: ModelSet, ids: list[str], results: list[DocumentResult]) -> dict[str, Any]:
    return {
        "models": model_refs(models, results),
        "labels": models.labels,
        "documents": [
            {"id": doc_id, **document(result)} for doc_id, result in zip(ids, results, strict=True)
        ],
    }

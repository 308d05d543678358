"""Corrections: POST /feedback, the uncertainty queue, the export and agreement.

Every route needs an annotator's token (FRAMING_ANNOTATOR_TOKENS) and answers 404 when
none is configured. Corrections never reach the logs: the access log has each body's
size and hash, and storage errors name the database, not the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.bodies import read_body
from app.api.corrections import StoreDep, failed
from app.api.deps import AnnotatorDep, ModelsDep, SettingsDep, StateDep
from app.api.openapi import errors, request_body
from app.api.problems import ProblemError, over_limit
from app.api.responses import json_response
from app.api.routes.classify import _classify, check_batch
from app.api.schemas import (
    Annotator,
    CorrectionRecord,
    FeedbackRequest,
    QueueDocument,
    QueueRequest,
    QueueResponse,
)
from app.core.model import ModelSet
from app.feedback.agreement import agreement
from app.feedback.queue import Candidate, Picker
from app.feedback.records import Correction, NewCorrection, sentence_key
from app.feedback.store import FeedbackStore, StorageError

router = APIRouter(tags=["feedback"])
STORAGE = errors(401, 404, 503, 507)


def _check_labels(labels: list[str], models: ModelSet) -> None:
    problems = []
    for i, label in enumerate(labels):
        if label not in models.labels:
            problems.append(
                {
                    "loc": ["body", "labels", i],
                    "type": "unknown_label",
                    "msg": f"{label!r} is not a label the models give: {models.labels}",
                    "labels": models.labels,
                }
            )
        elif label in labels[:i]:
            problems.append(
                {"loc": ["body", "labels", i], "type": "duplicate_label", "msg": "given twice"}
            )
    if problems:
        raise ProblemError(
            422, "invalid-request", "The labels are not the models' labels.", problems
        )


def _check_language(language: str, models: ModelSet) -> None:
    if language not in models.languages:
        raise ProblemError(
            422,
            "unsupported-language",
            f"No model reads {language!r}; the languages served are {models.languages}.",
            [
                {
                    "loc": ["body", "language"],
                    "type": "unsupported_language",
                    "msg": f"{language!r} is not served",
                    "language": language,
                    "served": models.languages,
                }
            ],
        )


@router.post(
    "/feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=CorrectionRecord,
    responses=errors(400, 401, 404, 413, 415, 422, 503, 507),
    openapi_extra=request_body("FeedbackRequest", plain_text=False),
    summary="Store an annotator's correction of one sentence",
)
async def post_feedback(
    request: Request, state: StateDep, annotator: AnnotatorDep, models: ModelsDep, store: StoreDep
) -> Response:
    """Confirm or change the labels of a sentence. The record is stored under the name
    the token belongs to, and answered (201) once it is on disk. The same annotator's
    second correction of a sentence replaces the first (its `revision` goes up); two
    annotators' corrections of one sentence are both kept."""
    body = await read_body(request, FeedbackRequest)
    _check_labels(body.labels, models)
    _check_language(body.language, models)
    new = NewCorrection(
        annotator=annotator,
        text=body.text,
        labels=tuple(body.labels),
        language=body.language,
        model_version=body.model_version,
        source=body.source,
        document_id=body.document_id,
    )
    try:
        saved = await run_in_threadpool(store.save, new)
    except StorageError as exc:
        raise await failed(state, exc) from None
    response = json_response(saved.as_json())
    response.status_code = status.HTTP_201_CREATED
    return response


@router.get(
    "/feedback/me",
    response_model=Annotator,
    responses=STORAGE,
    summary="Whose token this is, and how many corrections they have stored",
)
async def whoami(state: StateDep, annotator: AnnotatorDep, store: StoreDep) -> Annotator:
    try:
        count = await run_in_threadpool(store.count, annotator)
    except StorageError as exc:
        raise await failed(state, exc) from None
    return Annotator(annotator=annotator, corrections=count)


def _lines(first: Correction | None, rest: Iterator[Correction]) -> Iterator[bytes]:
    if first is None:
        return
    yield (json.dumps(first.as_json(), ensure_ascii=False) + "\n").encode("utf-8")
    for record in rest:
        yield (json.dumps(record.as_json(), ensure_ascii=False) + "\n").encode("utf-8")


@router.get(
    "/feedback/export",
    responses={
        200: {
            "description": "One correction per line (JSONL), oldest first.",
            "content": {"application/x-ndjson": {}},
        },
        **STORAGE,
    },
    response_class=StreamingResponse,
    summary="Every correction, as JSON lines",
)
async def export(
    state: StateDep,
    _: AnnotatorDep,
    store: StoreDep,
    language: str | None = Query(None, pattern=r"^[a-z]{2,3}$"),
    annotator: str | None = Query(None, max_length=64),
) -> StreamingResponse:
    """Streams every correction (or one language's, or one annotator's) as JSON lines,
    read from one snapshot: what `python -m training.train --feedback FILE` reads."""
    rows = store.corrections(language=language, annotator=annotator)
    try:  # the first row is read here, so a failing store is a problem document
        first = await run_in_threadpool(next, rows, None)
    except StorageError as exc:
        raise await failed(state, exc) from None
    return StreamingResponse(
        _lines(first, rows),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="corrections.jsonl"'},
    )


@router.get(
    "/feedback/agreement",
    responses=STORAGE,
    summary="Agreement between annotators on the sentences several corrected",
)
async def get_agreement(
    state: StateDep, _: AnnotatorDep, models: ModelsDep, store: StoreDep
) -> Response:
    """Per label: the pairs of annotators compared, the share that agree, kappa (chance
    from the pooled label rate) and the label's rate; per pair of annotators, Cohen's
    kappa; and the share of shared sentences every annotator labelled alike."""

    def report() -> dict[str, object]:
        return agreement(store.corrections(), models.labels)

    try:
        found = await run_in_threadpool(report)
    except StorageError as exc:
        raise await failed(state, exc) from None
    return json_response(found)


def _corrected(store: FeedbackStore, annotator: str, keys: list[str]) -> set[str]:
    return store.corrected(annotator, keys)


@router.post(
    "/feedback/queue",
    response_model=QueueResponse,
    responses=errors(400, 401, 404, 413, 415, 422, 503, 507),
    openapi_extra=request_body("QueueRequest", plain_text=False),
    summary="The sentences of these texts the model is least sure of",
)
async def queue(
    request: Request,
    state: StateDep,
    annotator: AnnotatorDep,
    models: ModelsDep,
    settings: SettingsDep,
    store: StoreDep,
) -> Response:
    """Classifies the texts and answers the sentences whose scores sit nearest their
    thresholds, spread over sources and labels, least sure first: to review one by one.
    Sentences this annotator has corrected are left out unless `include_corrected`."""
    body = await read_body(request, QueueRequest, max_documents=settings.max_batch_documents)
    docs = [d if isinstance(d, QueueDocument) else QueueDocument(text=d) for d in body.texts]
    if body.size > settings.max_queue_sentences:
        raise over_limit(
            422,
            "queue-too-long",
            f"A queue of {body.size} sentences was asked for; the limit is "
            f"{settings.max_queue_sentences} (FRAMING_MAX_QUEUE_SENTENCES).",
            ["body", "size"],
            body.size,
            settings.max_queue_sentences,
            "FRAMING_MAX_QUEUE_SENTENCES",
        )
    names = [f"Text {i}" for i in range(len(docs))]
    check_batch([doc.text for doc in docs], "texts", names, settings)
    results = await _classify(
        request,
        state,
        models,
        [doc.text for doc in docs],
        False,
        [doc.language for doc in docs],
        names=[doc.id or f"text {i}" for i, doc in enumerate(docs)],
    )
    candidates = [
        Candidate(
            text=s.text,
            language=s.language,
            scores=s.scores,
            labels=s.labels,
            source=doc.source,
            document_id=doc.id,
            sentence_index=s.index,
            model_version=models[s.language].version,
        )
        for doc, result in zip(docs, results, strict=True)
        for s in result.sentences
    ]
    skip: set[str] = set()
    if not body.include_corrected:
        keys = sorted({sentence_key(c.text) for c in candidates})
        try:
            skip = await run_in_threadpool(_corrected, store, annotator, keys)
        except StorageError as exc:
            raise await failed(state, exc) from None
    thresholds = {lang: m.manifest.thresholds for lang, m in models.models.items()}
    picked = Picker(thresholds, body.size, skip).add_all(candidates).pick()
    return json_response(
        {
            "sentences": len(candidates),
            "queue": [item.as_json(rank) for rank, item in enumerate(picked, 1)],
        }
    )

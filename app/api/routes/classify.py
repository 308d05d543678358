"""POST /classify and /classify/batch."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from app.api.bodies import read_body
from app.api.deps import ModelsDep
from app.api.jobs import run_job
from app.api.openapi import errors, request_body
from app.api.problems import ProblemError, over_limit
from app.api.responses import batch_body, classify_body, results_response
from app.api.schemas import BatchRequest, BatchResponse, ClassifyRequest, ClassifyResponse
from app.api.state import ServiceState, state_of
from app.core import classifier
from app.core.language import UnsupportedLanguage
from app.core.model import ModelSet
from app.settings import Settings

router = APIRouter(tags=["classify"])
ERRORS = errors(400, 413, 415, 422, 503)
ERRORS[503] = ERRORS[503] | {
    "description": "No model loaded yet, or too busy: retry after Retry-After."
}


def _unsupported(
    exc: UnsupportedLanguage, models: ModelSet, names: list[str] | None, in_query: bool
) -> ProblemError:
    detail = str(exc)[:1].upper() + str(exc)[1:]
    field = "language" if exc.requested else "text"
    loc: list[str | int] = ["body", field]
    if exc.requested and in_query:
        loc = ["query", "language"]
    if names is not None and exc.index is not None:
        detail = f"Document {exc.index} ({names[exc.index]!r}): {exc}"
        loc = ["body", "documents", exc.index, field]
    error = {
        "loc": loc,
        "type": "unsupported_language",
        "msg": str(exc),
        "language": exc.language,
        "confidence": exc.confidence,
        "served": models.languages,
    }
    return ProblemError(422, "unsupported-language", detail, [error])


_SETTING = {
    "document": "FRAMING_MAX_SENTENCES",
    "request": "FRAMING_MAX_BATCH_SENTENCES",
    "explained": "FRAMING_MAX_EXPLAINED_SENTENCES",
}


def _too_many(exc: classifier.TooManySentences, names: list[str] | None) -> ProblemError:
    setting = _SETTING[exc.what]
    if exc.what == "document":
        where = "The text" if names is None else f"Document {exc.index} ({names[exc.index or 0]!r})"
        detail = f"{where} cuts into {exc.count} sentences; the limit is {exc.limit} ({setting})."
        loc: list[str | int] = ["body", "text"]
        if names is not None and exc.index is not None:
            loc = ["body", "documents", exc.index, "text"]
    elif exc.what == "request":
        detail = (
            f"The batch cuts into {exc.count} sentences; the limit is {exc.limit} ({setting}). "
            "Split it into several requests."
        )
        loc = ["body", "documents"]
    else:
        detail = (
            f"Evidence was asked for {exc.count} sentences; the limit is {exc.limit} "
            f"({setting}). Ask for evidence on less text, or leave explain off."
        )
        loc = ["body", "explain"]
    return over_limit(422, "too-many-sentences", detail, loc, exc.count, exc.limit, setting)


async def _classify(
    request: Request,
    state: ServiceState,
    models: ModelSet,
    texts: list[str],
    explain: bool,
    languages: Sequence[str | None],
    names: list[str] | None = None,
    language_in_query: bool = False,
) -> list[classifier.DocumentResult]:
    """Classify in a worker thread of the request's lane (see jobs.py). A text no model
    reads, or one over a sentence limit, is a 422."""
    settings = state.settings
    limits = classifier.Limits(
        per_document=settings.max_sentences,
        per_call=settings.max_batch_sentences,
        explained=settings.max_explained_sentences,
    )
    job = partial(classifier.classify, models, texts, explain, languages, limits)
    lane = state.lanes.for_size(sum(len(t) for t in texts))
    try:
        results = await run_job(request, lane, job)
    except UnsupportedLanguage as exc:
        raise _unsupported(exc, models, names, language_in_query) from None
    except classifier.TooManySentences as exc:
        raise _too_many(exc, names) from None
    for result in results:
        state.metrics.count_classified(result.summary.sentences, result.summary.counts)
    return results


def check_length(text: str, limit: int, where: str, loc: list[str | int]) -> None:
    if len(text) > limit:
        raise over_limit(
            422,
            "text-too-long",
            f"{where} has {len(text)} characters; the limit is {limit} "
            "(FRAMING_MAX_TEXT_CHARS). Split it into parts.",
            loc,
            len(text),
            limit,
            "FRAMING_MAX_TEXT_CHARS",
        )


def check_batch(texts: Sequence[str], field: str, names: Sequence[str], settings: Settings) -> None:
    """Each text within FRAMING_MAX_TEXT_CHARS and all of them within
    FRAMING_MAX_BATCH_CHARS; `names` says which text is which in the messages."""
    for i, (text, name) in enumerate(zip(texts, names, strict=True)):
        check_length(text, settings.max_text_chars, name, ["body", field, i, "text"])
    total = sum(len(text) for text in texts)
    if total > settings.max_batch_chars:
        raise over_limit(
            413,
            "batch-too-large",
            f"The {field} hold {total} characters; the limit is {settings.max_batch_chars} "
            "(FRAMING_MAX_BATCH_CHARS). Split them over several requests.",
            ["body", field],
            total,
            settings.max_batch_chars,
            "FRAMING_MAX_BATCH_CHARS",
        )


@router.post(
    "/classify",
    response_model=ClassifyResponse,
    response_model_exclude_none=True,
    status_code=status.HTTP_200_OK,
    responses=ERRORS,
    openapi_extra=request_body("ClassifyRequest", plain_text=True),
    summary="Label each sentence of one document",
)
async def classify(
    request: Request,
    models: ModelsDep,
    explain: Annotated[
        bool, Query(description="Evidence for a text/plain body (JSON bodies say it inside).")
    ] = False,
    language: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z]{2,3}$",
            description="The language of a text/plain body, when known (JSON bodies say it "
            "inside); detected otherwise.",
        ),
    ] = None,
) -> Response:
    """Split the text into sentences and give each its framing labels and scores.

    Offsets count Unicode code points: `text[start:end]` is the sentence. With
    `"explain": true` (or `?explain=true` for a text/plain body) each sentence also gets
    evidence: the words that raised each of its labels.

    The language is detected (or given as `"language"`); each sentence says which
    language's model read it. Text in a language no model reads is refused with a 422.
    """
    state = state_of(request)  # (one dependency, not three: each costs the event loop)
    settings = state.settings
    body = await read_body(request, ClassifyRequest, plain_text_field="text")
    check_length(body.text, settings.max_text_chars, "The text", ["body", "text"])
    [result] = await _classify(
        request,
        state,
        models,
        [body.text],
        body.explain or explain,
        [body.language or language],
        language_in_query=body.language is None and language is not None,
    )
    return results_response(classify_body(models, result))


@router.post(
    "/classify/batch",
    response_model=BatchResponse,
    response_model_exclude_none=True,
    status_code=status.HTTP_200_OK,
    responses=ERRORS,
    openapi_extra=request_body("BatchRequest", plain_text=False),
    summary="Label the sentences of several documents",
)
async def classify_batch(request: Request, models: ModelsDep) -> Response:
    """Classify documents in one call; results come in the request's order, with their ids."""
    state = state_of(request)
    settings = state.settings
    body = await read_body(request, BatchRequest, max_documents=settings.max_batch_documents)
    docs = body.documents
    names = [f"Document {i} ({doc.id!r})" for i, doc in enumerate(docs)]
    check_batch([doc.text for doc in docs], "documents", names, settings)
    results = await _classify(
        request,
        state,
        models,
        [doc.text for doc in docs],
        body.explain,
        [doc.language for doc in docs],
        names=[doc.id for doc in docs],
    )
    body_out = batch_body(models, [doc.id for doc in docs], results)
    return results_response(body_out)

"""The HTTP routes."""

from __future__ import annotations

import os
import secrets
import signal
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.bodies import read_body
from app.classify import Classified, classify_texts
from app.deps import ModelsDep, SettingsDep
from app.language import UnsupportedLanguage
from app.lifecycle import reload_model
from app.model import ModelLoadError, ModelSet
from app.observability import Metrics
from app.problems import ProblemError
from app.schemas import (
    EXAMPLE_TEXT,
    BatchRequest,
    BatchResponse,
    ClassifyRequest,
    ClassifyResponse,
    DocumentResult,
    LabelInfo,
    LabelsResponse,
    ModelCard,
    ModelCards,
    ModelRef,
    Problem,
    ReloadResponse,
    Status,
)

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        400: "Malformed JSON or invalid UTF-8.",
        413: "Body over the size limit.",
        415: "Unsupported content type.",
        422: "Body does not match the schema, text over the length limit, or text in a "
        "language no model reads.",
        503: "No model loaded yet.",
    }.items()
}


def request_body(schema_name: str, plain_text: bool) -> dict[str, Any]:
    """OpenAPI requestBody for a route that reads its body with `read_body`."""
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
    }
    if plain_text:
        content["text/plain"] = {
            "schema": {"type": "string", "minLength": 1},
            "example": EXAMPLE_TEXT,
        }
    return {"requestBody": {"required": True, "content": content}}


def _model_refs(models: ModelSet, languages: set[str] | None = None) -> list[ModelRef]:
    """The models of `languages` (all when None), in serving order."""
    return [
        ModelRef(name=m.manifest.name, version=m.version, language=lang)
        for lang, m in models.models.items()
        if languages is None or lang in languages
    ]


def _used_languages(results: list[Classified]) -> set[str]:
    return {lang for r in results for lang in r.summary.languages} or {
        r.language.code for r in results
    }


async def _classify_off_loop(
    request: Request,
    models: ModelSet,
    texts: list[str],
    explain: bool,
    languages: list[str | None],
    names: list[str] | None = None,
    language_in_query: bool = False,
) -> list[Classified]:
    """Classify in a worker thread, a few at a time: the work is CPU-bound and holds the
    GIL, so more threads add memory, not speed. A text no model reads is a 422."""
    try:
        return await anyio.to_thread.run_sync(
            classify_texts,
            models,
            texts,
            explain,
            languages,
            limiter=request.app.state.classify_limiter,
        )
    except UnsupportedLanguage as exc:
        detail = str(exc)[:1].upper() + str(exc)[1:]
        field = "language" if exc.requested else "text"
        loc: list[str | int] = ["body", field]
        if exc.requested and language_in_query:
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
        raise ProblemError(422, "unsupported-language", detail, [error]) from None


def _count(request: Request, sentences: int, counts: dict[str, int]) -> None:
    metrics: Metrics = request.app.state.metrics
    metrics.count_classified(sentences, counts)


def _check_length(text: str, limit: int, where: str) -> None:
    if len(text) > limit:
        raise ProblemError(
            422,
            "text-too-long",
            f"{where} has {len(text)} characters; the limit is {limit}. Split it into parts.",
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
    settings: SettingsDep,
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
) -> ClassifyResponse:
    """Split the text into sentences and give each its framing labels and scores.

    Offsets count Unicode code points: `text[start:end]` is the sentence. With
    `"explain": true` (or `?explain=true` for a text/plain body) each sentence also gets
    evidence: the words that raised each of its labels.

    The language is detected (or given as `"language"`); each sentence says which
    language's model read it. Text in a language no model reads is refused with a 422.
    """
    body = await read_body(request, ClassifyRequest, plain_text_field="text")
    _check_length(body.text, settings.max_text_chars, "The text")
    [result] = await _classify_off_loop(
        request,
        models,
        [body.text],
        body.explain or explain,
        [body.language or language],
        language_in_query=body.language is None and language is not None,
    )
    _count(request, result.summary.sentences, result.summary.counts)
    return ClassifyResponse(
        models=_model_refs(models, _used_languages([result])),
        labels=models.labels,
        language=result.language,
        sentences=result.sentences,
        summary=result.summary,
    )


@router.post(
    "/classify/batch",
    response_model=BatchResponse,
    response_model_exclude_none=True,
    status_code=status.HTTP_200_OK,
    responses=ERRORS,
    openapi_extra=request_body("BatchRequest", plain_text=False),
    summary="Label the sentences of several documents",
)
async def classify_batch(
    request: Request, models: ModelsDep, settings: SettingsDep
) -> BatchResponse:
    """Classify documents in one call; results come in the request's order, with their ids."""
    body = await read_body(request, BatchRequest)
    docs = body.documents
    if len(docs) > settings.max_batch_documents:
        raise ProblemError(
            422,
            "too-many-documents",
            f"The batch has {len(docs)} documents; the limit is {settings.max_batch_documents}.",
        )
    for i, doc in enumerate(docs):
        _check_length(doc.text, settings.max_text_chars, f"Document {i} ({doc.id!r})")
    total = sum(len(doc.text) for doc in docs)
    if total > settings.max_batch_chars:
        raise ProblemError(
            413,
            "batch-too-large",
            f"The batch holds {total} characters; the limit is {settings.max_batch_chars}. "
            "Split it into several requests.",
        )
    results = await _classify_off_loop(
        request,
        models,
        [doc.text for doc in docs],
        body.explain,
        [doc.language for doc in docs],
        names=[doc.id for doc in docs],
    )
    for result in results:
        _count(request, result.summary.sentences, result.summary.counts)
    return BatchResponse(
        models=_model_refs(models, _used_languages(results)),
        labels=models.labels,
        documents=[
            DocumentResult(
                id=doc.id,
                language=result.language,
                sentences=result.sentences,
                summary=result.summary,
            )
            for doc, result in zip(docs, results, strict=True)
        ],
    )


@router.get("/labels", response_model=LabelsResponse, responses={503: ERRORS[503]})
async def labels(models: ModelsDep) -> LabelsResponse:
    """The labels the models give, with what each means, and the languages served."""
    manifest = models.default.manifest
    return LabelsResponse(
        languages=models.languages,
        models=_model_refs(models),
        labels=[
            LabelInfo(
                name=label,
                description=manifest.label_descriptions.get(label, "No description given."),
                thresholds={
                    lang: m.manifest.thresholds[label] for lang, m in models.models.items()
                },
            )
            for label in manifest.labels
        ],
    )


@router.get("/model", response_model=ModelCards, responses={503: ERRORS[503]})
async def model_card(models: ModelsDep) -> ModelCards:
    """Each language's model card: version, training data, thresholds and evaluation."""
    return ModelCards(
        languages=models.languages,
        models={
            lang: ModelCard.model_validate(m.manifest.model_dump())
            for lang, m in models.models.items()
        },
    )


@router.get("/healthz", response_model=Status)
async def healthz() -> Status:
    """The process is alive."""
    return Status(status="ok")


@router.get("/readyz", response_model=Status, responses={503: {"model": Status}})
async def readyz(request: Request) -> Any:
    """A model is loaded and requests can be classified."""
    model = getattr(request.app.state, "model", None)
    if model is None:
        return JSONResponse(Status(status="loading").model_dump(), status_code=503)
    return Status(status="ready", model_version=model.version, languages=model.languages)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.post(
    "/admin/reload",
    response_model=ReloadResponse,
    responses={
        401: ERRORS[400] | {"description": "Missing or wrong bearer token."},
        404: ERRORS[400] | {"description": "Reloading is off (no FRAMING_ADMIN_TOKEN)."},
        409: ERRORS[400] | {"description": "The new model was refused; the old one serves."},
    },
)
async def admin_reload(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> ReloadResponse:
    """Load the model now in the model folder, check it, and swap it in.

    With several workers, the checked model is also rolled out to every worker by a
    SIGHUP to the uvicorn supervisor, which starts each replacement before retiring the
    old worker.
    """
    token = settings.admin_token
    if token is None:
        raise ProblemError(404, "not-found", f"There is nothing at {request.url.path}.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        given.encode(), token.get_secret_value().encode()
    ):
        raise ProblemError(
            401,
            "unauthorized",
            "Send the admin token as 'Authorization: Bearer TOKEN'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        previous, current = await reload_model(request.app)
    except ModelLoadError as exc:
        active = request.app.state.model
        raise ProblemError(
            409,
            "model-rejected",
            f"The new model was refused and {active.version if active else 'no model'} keeps "
            f"serving: {exc}",
        ) from None
    rolling = settings.workers > 1
    if rolling:
        os.kill(os.getppid(), signal.SIGHUP)
    return ReloadResponse(previous=previous, current=current, rolling_restart=rolling)

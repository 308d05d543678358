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
from app.classify import classify_texts
from app.deps import ModelDep, SettingsDep
from app.lifecycle import reload_model
from app.model import FramingModel, ModelLoadError
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
    ModelRef,
    Problem,
    ReloadResponse,
    Sentence,
    Status,
    Summary,
)

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        400: "Malformed JSON or invalid UTF-8.",
        413: "Body over the size limit.",
        415: "Unsupported content type.",
        422: "Body does not match the schema, or text over the length limit.",
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


def _model_ref(model: ModelDep) -> ModelRef:
    return ModelRef(name=model.manifest.name, version=model.version)


async def _classify_off_loop(
    request: Request, model: FramingModel, texts: list[str], explain: bool
) -> list[tuple[list[Sentence], Summary]]:
    """Classify in a worker thread, a few at a time: the work is CPU-bound and holds the
    GIL, so more threads add memory, not speed."""
    return await anyio.to_thread.run_sync(
        classify_texts, model, texts, explain, limiter=request.app.state.classify_limiter
    )


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
    model: ModelDep,
    settings: SettingsDep,
    explain: Annotated[
        bool, Query(description="Evidence for a text/plain body (JSON bodies say it inside).")
    ] = False,
) -> ClassifyResponse:
    """Split the text into sentences and give each its framing labels and scores.

    Offsets count Unicode code points: `text[start:end]` is the sentence. With
    `"explain": true` (or `?explain=true` for a text/plain body) each sentence also gets
    evidence: the words that raised each of its labels.
    """
    body = await read_body(request, ClassifyRequest, plain_text_field="text")
    _check_length(body.text, settings.max_text_chars, "The text")
    [(sentences, summary)] = await _classify_off_loop(
        request, model, [body.text], body.explain or explain
    )
    _count(request, summary.sentences, summary.counts)
    return ClassifyResponse(
        model=_model_ref(model), labels=model.labels, sentences=sentences, summary=summary
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
async def classify_batch(request: Request, model: ModelDep, settings: SettingsDep) -> BatchResponse:
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
    results = await _classify_off_loop(request, model, [doc.text for doc in docs], body.explain)
    for _, summary in results:
        _count(request, summary.sentences, summary.counts)
    return BatchResponse(
        model=_model_ref(model),
        labels=model.labels,
        documents=[
            DocumentResult(id=doc.id, sentences=sentences, summary=summary)
            for doc, (sentences, summary) in zip(docs, results, strict=True)
        ],
    )


@router.get("/labels", response_model=LabelsResponse, responses={503: ERRORS[503]})
async def labels(model: ModelDep) -> LabelsResponse:
    """The labels the loaded model gives, with what each means."""
    manifest = model.manifest
    return LabelsResponse(
        model=_model_ref(model),
        labels=[
            LabelInfo(
                name=label,
                description=manifest.label_descriptions.get(label, "No description given."),
                threshold=manifest.thresholds[label],
            )
            for label in manifest.labels
        ],
    )


@router.get("/model", response_model=ModelCard, responses={503: ERRORS[503]})
async def model_card(model: ModelDep) -> ModelCard:
    """The model card: version, training data, thresholds and evaluation metrics."""
    return ModelCard.model_validate(model.manifest.model_dump())


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
    return Status(status="ready", model_version=model.version)


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

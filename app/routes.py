"""The HTTP routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.bodies import read_body
from app.classify import classify_texts
from app.deps import ModelDep, SettingsDep
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
    Status,
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
    [(sentences, summary)] = await run_in_threadpool(
        classify_texts, model, [body.text], body.explain or explain
    )
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
    results = await run_in_threadpool(
        classify_texts, model, [doc.text for doc in docs], body.explain
    )
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

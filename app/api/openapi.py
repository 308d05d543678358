"""OpenAPI pieces the routes share: error responses and bodies read by `read_body`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.schemas import (
    EXAMPLE_TEXT,
    BatchRequest,
    ClassifyRequest,
    FeedbackRequest,
    Problem,
    QueueRequest,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        400: "Malformed JSON or invalid UTF-8.",
        401: "Missing or wrong bearer token.",
        404: "Nothing here (admin routes are off without FRAMING_ADMIN_TOKEN, feedback routes "
        "without FRAMING_ANNOTATOR_TOKENS).",
        409: "The new model was refused; the old one serves.",
        413: "Body over the size limit.",
        415: "Unsupported content type.",
        422: "Body does not match the schema, text over the length limit, or text in a "
        "language no model reads.",
        503: "No model loaded yet; or the corrections' database is unavailable, busy, damaged "
        "or of a newer schema (feedback routes).",
        507: "The corrections' database could not grow: disk full or a size limit. Nothing "
        "was stored.",
    }.items()
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERRORS[code] for code in codes}


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


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the body models that routes read themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ClassifyRequest, BatchRequest, FeedbackRequest, QueueRequest):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body
    app.openapi_schema = schema
    return schema

"""Reading a request body as JSON or plain text into a pydantic model."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.api.problems import ProblemError, validation_errors

M = TypeVar("M", bound=BaseModel)


def _media_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    kind, _, rest = raw.partition(";")
    params = {}
    for part in rest.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), params


def _unsupported(kinds: str) -> ProblemError:
    return ProblemError(
        415,
        "unsupported-media-type",
        f"Send the body as {kinds}.",
        headers={"Accept-Post": kinds.replace(" or ", ", ")},
    )


def _invalid(exc: ValidationError) -> ProblemError:
    errors = validation_errors(exc.errors())
    if any(e["type"] == "json_invalid" for e in errors):
        return ProblemError(
            400,
            "invalid-json",
            "The body is not valid JSON in UTF-8: " + "; ".join(e["msg"] for e in errors),
        )
    return ProblemError(422, "invalid-request", "The request does not match the schema.", errors)


async def read_body(request: Request, schema: type[M], plain_text_field: str | None = None) -> M:
    """Validate the body as `schema`; a text/plain body fills `plain_text_field` if given."""
    kind, params = _media_type(request)
    accepted = "application/json" + (" or text/plain; charset=utf-8" if plain_text_field else "")
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        body = await request.body()
        try:
            return schema.model_validate_json(body)
        except ValidationError as exc:
            raise _invalid(exc) from None
    if kind == "text/plain" and plain_text_field:
        if params.get("charset", "utf-8") not in ("utf-8", "utf8"):
            raise _unsupported(accepted)
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProblemError(
                400, "invalid-utf8", f"The body is not valid UTF-8 (byte {exc.start})."
            ) from None
        try:
            return schema.model_validate({plain_text_field: text})
        except ValidationError as exc:
            raise _invalid(exc) from None
    raise _unsupported(accepted)

"""Reading a request body as JSON or plain text into a pydantic model, with bounded cost.

A JSON body is parsed first (off the event loop when it is large), then checked for
sizes that would make validation expensive (too many documents, too many fields), and
only then validated. Validation errors are capped: the first MAX_ERRORS, with a count.
A UTF-8 byte order mark is dropped, so offsets count from the text's first character.
"""

from __future__ import annotations

from typing import Any, TypeVar

import anyio.to_thread
import pydantic_core
from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.api.problems import ProblemError, over_limit, validation_errors

M = TypeVar("M", bound=BaseModel)

MAX_ERRORS = 20
MAX_FIELDS = 20  # fields of any one object in a body: ours have at most four
OFF_LOOP_BYTES = 64 * 1024  # bodies larger than this are parsed in a worker thread
BOM = b"\xef\xbb\xbf"


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
    errors = validation_errors(exc.errors(include_input=False, include_url=False))
    shown = errors[:MAX_ERRORS]
    detail = "The request does not match the schema."
    if len(errors) > MAX_ERRORS:
        detail = (
            f"The request does not match the schema: {len(errors)} errors, the first "
            f"{MAX_ERRORS} listed."
        )
    return ProblemError(422, "invalid-request", detail, shown)


def _parse(body: bytes) -> Any:
    try:
        return pydantic_core.from_json(body.removeprefix(BOM))
    except ValueError as exc:
        raise ProblemError(
            400, "invalid-json", f"The body is not valid JSON in UTF-8: {exc}."
        ) from None


def _too_many_fields(value: Any, loc: list[str | int]) -> None:
    if isinstance(value, dict) and len(value) > MAX_FIELDS:
        names = ", ".join(repr(k) for k in list(value)[:MAX_ERRORS])
        raise ProblemError(
            422,
            "invalid-request",
            f"An object in the body has {len(value)} fields; the request's objects have at "
            f"most a few ({names}, ...).",
            [{"loc": loc, "type": "too_many_fields", "msg": f"{len(value)} fields"}],
        )


def precheck(value: Any, max_documents: int | None) -> None:
    """Refuse sizes that would make validation slow or its errors huge, before it runs."""
    _too_many_fields(value, ["body"])
    documents = value.get("documents") if isinstance(value, dict) else None
    if max_documents is not None and isinstance(documents, list):
        if len(documents) > max_documents:
            raise over_limit(
                422,
                "too-many-documents",
                f"The batch has {len(documents)} documents; the limit is {max_documents} "
                "(FRAMING_MAX_BATCH_DOCUMENTS).",
                ["body", "documents"],
                len(documents),
                max_documents,
                "FRAMING_MAX_BATCH_DOCUMENTS",
            )
        for i, doc in enumerate(documents):
            _too_many_fields(doc, ["body", "documents", i])


def _validate(schema: type[M], value: Any) -> M:
    try:
        return schema.model_validate(value)
    except ValidationError as exc:
        raise _invalid(exc) from None


async def read_body(
    request: Request,
    schema: type[M],
    plain_text_field: str | None = None,
    max_documents: int | None = None,
) -> M:
    """Validate the body as `schema`; a text/plain body fills `plain_text_field` if given."""
    kind, params = _media_type(request)
    accepted = "application/json" + (" or text/plain; charset=utf-8" if plain_text_field else "")
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        body = await request.body()
        if len(body) > OFF_LOOP_BYTES:
            return await anyio.to_thread.run_sync(_checked, schema, body, max_documents)
        return _checked(schema, body, max_documents)
    if kind == "text/plain" and plain_text_field:
        if params.get("charset", "utf-8") not in ("utf-8", "utf8"):
            raise _unsupported(accepted)
        body = await request.body()
        try:
            text = body.removeprefix(BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProblemError(
                400, "invalid-utf8", f"The body is not valid UTF-8 (byte {exc.start})."
            ) from None
        return _validate(schema, {plain_text_field: text})
    raise _unsupported(accepted)


def _checked(schema: type[M], body: bytes, max_documents: int | None) -> M:
    value = _parse(body)
    precheck(value, max_documents)
    return _validate(schema, value)

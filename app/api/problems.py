"""Errors as RFC 9457 problem documents (`application/problem+json`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.api.problem_types import PROBLEM_MEDIA_TYPE, TYPE_PREFIX

log = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499  # nginx's status for a request the client abandoned


class ProblemError(Exception):
    """An error the client can fix, sent as a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.errors = errors
        self.headers = headers


def problem_response(
    request: Request | None,
    status: int,
    slug: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    if errors:
        body["errors"] = errors
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def over_limit(
    status: int,
    slug: str,
    detail: str,
    loc: list[str | int],
    actual: int,
    limit: int,
    setting: str,
) -> ProblemError:
    """A problem for input over one of the service's limits, naming the setting."""
    error = {
        "loc": loc,
        "type": "over_limit",
        "msg": detail,
        "actual": actual,
        "limit": limit,
        "setting": setting,
    }
    return ProblemError(status, slug, detail, [error])


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors without the submitted input, which may be long or private."""
    return [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in errors
    ]


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc.status, exc.slug, exc.detail, exc.errors, exc.headers)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        request,
        422,
        "invalid-request",
        "The request does not match the schema.",
        validation_errors(exc.errors()),
    )


_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed"}


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
    detail = str(exc.detail)
    if exc.status_code == 404:
        detail = f"There is nothing at {request.url.path}; see /docs for the routes."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}; see /docs."
    return problem_response(request, exc.status_code, slug, detail, headers=exc.headers)


async def _on_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away while sending: nobody is left to read an answer."""
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request, 500, "internal-error", "The server failed on this request; it has been logged."
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ClientDisconnect, _on_disconnect)
    app.add_exception_handler(Exception, _on_unexpected)

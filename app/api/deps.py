"""FastAPI dependencies and their named aliases.

The ones every request resolves are `async def`: FastAPI runs a plain `def` dependency in
a worker thread, and three thread round trips per /classify cost more than the lookups.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.problems import ProblemError
from app.api.state import ServiceState, state_of
from app.core.model import ModelSet
from app.settings import Settings


async def get_state(request: Request) -> ServiceState:
    return state_of(request)


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_app_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_models(state: StateDep) -> ModelSet:
    if state.models is None:
        raise ProblemError(
            503,
            "model-not-loaded",
            "No model is loaded yet; retry shortly.",
            headers={"Retry-After": "5"},
        )
    return state.models


ModelsDep = Annotated[ModelSet, Depends(get_models)]

admin_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="The admin token (FRAMING_ADMIN_TOKEN), as 'Authorization: Bearer TOKEN'.",
)


def require_admin(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(admin_bearer)],
) -> None:
    """Admin routes exist only with a token set, and answer only to it."""
    token = settings.admin_token
    if token is None:
        raise ProblemError(404, "not-found", f"There is nothing at {request.url.path}.")
    given = credentials.credentials if credentials is not None else ""
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise ProblemError(
            401,
            "unauthorized",
            "Send the admin token as 'Authorization: Bearer TOKEN'.",
            headers={"WWW-Authenticate": "Bearer"},
        )


AdminDep = Annotated[None, Depends(require_admin)]

annotator_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AnnotatorToken",
    description="An annotator's token (FRAMING_ANNOTATOR_TOKENS), as 'Authorization: Bearer "
    "TOKEN'. The /feedback routes are off without any token configured.",
)


def require_annotator(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(annotator_bearer)],
) -> str:
    """The name of the annotator whose token came with the request."""
    tokens = settings.annotator_tokens
    if not tokens:
        raise ProblemError(404, "not-found", f"There is nothing at {request.url.path}.")
    given = (credentials.credentials if credentials is not None else "").encode()
    found = None
    for name, token in tokens.items():  # every token compared, in constant time each
        if secrets.compare_digest(given, token.get_secret_value().encode()):
            found = name
    if found is None:
        raise ProblemError(
            401,
            "unauthorized",
            "Send your annotator token as 'Authorization: Bearer TOKEN'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


AnnotatorDep = Annotated[str, Depends(require_annotator)]

"""POST /admin/reload: swap in newly trained models without a restart."""

from __future__ import annotations

import os
import signal

from fastapi import APIRouter

from app.api.deps import AdminDep, StateDep
from app.api.lifecycle import reload_models
from app.api.openapi import errors
from app.api.problems import ProblemError
from app.api.schemas import ReloadResponse
from app.core.artifact import ModelLoadError

router = APIRouter(tags=["admin"])


@router.post("/admin/reload", response_model=ReloadResponse, responses=errors(401, 404, 409))
async def admin_reload(state: StateDep, _: AdminDep) -> ReloadResponse:
    """Load the models now in the model folder, check them, and swap them in.

    With several workers, the checked models are also rolled out to every worker by a
    SIGHUP to the uvicorn supervisor, which starts each replacement before retiring the
    old worker.
    """
    try:
        previous, current = await reload_models(state)
    except ModelLoadError as exc:
        active = state.models
        raise ProblemError(
            409,
            "model-rejected",
            f"The new model was refused and {active.version if active else 'no model'} keeps "
            f"serving: {exc}",
            [{"loc": [], "type": exc.reason, "msg": str(exc)}],
        ) from None
    rolling = state.settings.workers > 1
    if rolling:
        os.kill(os.getppid(), signal.SIGHUP)
    return ReloadResponse(previous=previous, current=current, rolling_restart=rolling)

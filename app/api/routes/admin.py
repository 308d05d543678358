"""POST /admin/reload: swap in newly trained models without a restart."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import AdminDep, StateDep
from app.api.lifecycle import reload_models, wait_for_workers
from app.api.openapi import errors
from app.api.problems import ProblemError
from app.api.schemas import ReloadResponse
from app.core.artifact import ModelLoadError

router = APIRouter(tags=["admin"])


@router.post("/admin/reload", response_model=ReloadResponse, responses=errors(401, 404, 409, 503))
async def admin_reload(state: StateDep, _: AdminDep) -> ReloadResponse:
    """Load the models now in the model folder, check them, and swap them in.

    Under `framing serve` the checked models are staged for every worker, and the
    answer comes once every worker serves them. A model that fails its checks is
    refused (409) and nothing changes.
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
    workers = await wait_for_workers(state)
    if workers is None:
        raise ProblemError(
            503,
            "reload-incomplete",
            f"The new model {current} is staged, but not every worker serves it yet; they "
            "switch within seconds. Check /readyz.",
            headers={"Retry-After": "5"},
        )
    return ReloadResponse(previous=previous, current=current, workers=workers)

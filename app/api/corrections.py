"""The service's corrections store: opened at start-up when annotators are configured,
reopened on demand after a failure, and its errors as problem documents."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from app.api.deps import StateDep
from app.api.problems import ProblemError
from app.api.state import ServiceState
from app.feedback.store import FeedbackStore, StorageError, open_store, store_location

log = logging.getLogger("app.feedback")

# reason -> (status, problem slug, Retry-After seconds or None)
_PROBLEMS = {
    "full": (507, "feedback-storage-full", None),
    "corrupt": (503, "feedback-storage-corrupt", None),
    "busy": (503, "feedback-storage-busy", 2),
    "unavailable": (503, "feedback-storage-unavailable", 10),
    "schema": (503, "feedback-storage-schema", None),
}


def storage_problem(exc: StorageError) -> ProblemError:
    """A storage failure as a problem document: what happened, nothing of any record."""
    status, slug, retry = _PROBLEMS.get(exc.reason, (500, "feedback-storage-error", None))
    log.error("feedback storage: %s: %s", exc.reason, exc)
    detail = str(exc)[:1].upper() + str(exc)[1:]
    if not detail.endswith("."):
        detail += "."
    return ProblemError(
        status,
        slug,
        detail,
        [{"loc": [], "type": f"storage_{exc.reason}", "msg": str(exc)}],
        headers={"Retry-After": str(retry)} if retry else None,
    )


def location(state: ServiceState) -> str:
    url = state.settings.feedback_database_url
    return store_location(state.settings.data_dir, url.get_secret_value() if url else None)


async def open_feedback(state: ServiceState) -> FeedbackStore:
    """The open store, opening (and migrating) it first if needed."""
    if state.feedback is not None:
        return state.feedback
    async with state.feedback_lock:
        if state.feedback is None:
            state.feedback = await run_in_threadpool(open_store, location(state))
            log.info("corrections stored in %s", state.feedback.where)
        return state.feedback


async def close_feedback(state: ServiceState) -> None:
    store, state.feedback = state.feedback, None
    if store is not None:
        await run_in_threadpool(store.close)


async def get_store(state: StateDep) -> FeedbackStore:
    try:
        return await open_feedback(state)
    except StorageError as exc:
        raise storage_problem(exc) from None


StoreDep = Annotated[FeedbackStore, Depends(get_store)]


async def failed(state: ServiceState, exc: StorageError) -> ProblemError:
    """After a failure the store is closed, so the next request opens and checks it anew
    (a damaged file is then found by SQLite's check, a restarted server reconnected)."""
    if exc.reason in ("corrupt", "unavailable", "schema"):
        await close_feedback(state)
    return storage_problem(exc)

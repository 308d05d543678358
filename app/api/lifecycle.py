"""Loading the models at start-up and swapping in new ones while serving."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.api.state import ServiceState, state_of
from app.core.artifact import ModelLoadError
from app.core.model import load_models

log = logging.getLogger("app.lifecycle")


async def reload_models(state: ServiceState) -> tuple[str | None, str]:
    """Load, check and swap in the models from the model folder; (old, new) versions.

    On any failure ModelLoadError is raised and the current models keep serving. Requests
    already running keep the models they started with.
    """
    async with state.reload_lock:
        old = state.models
        try:
            new = await run_in_threadpool(load_models, state.settings.model_dir, old)
        except Exception as exc:
            state.metrics.reloads.labels(outcome="refused").inc()
            log.error(
                "model reload refused; still serving %s: %s", old.version if old else None, exc
            )
            if isinstance(exc, ModelLoadError):
                raise
            raise ModelLoadError(f"The model could not be loaded: {exc}") from exc
        state.models = new
        state.metrics.set_models(new.versions)
        state.metrics.reloads.labels(outcome="loaded").inc()
        log.info("model reloaded: %s -> %s", old.version if old else None, new.version)
        return (old.version if old else None), new.version


def _on_sighup(state: ServiceState) -> None:
    async def run() -> None:
        with suppress(ModelLoadError):
            await reload_models(state)

    state.background.add(task := asyncio.get_running_loop().create_task(run()))
    task.add_done_callback(state.background.discard)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = state_of(app)
    try:
        models = load_models(state.settings.model_dir)
    except ModelLoadError as exc:
        log.critical("cannot start: %s", exc)
        raise
    state.models = models
    state.metrics.set_models(models.versions)
    log.info(
        "serving %s from %s (pid %d)",
        ", ".join(f"{lang} model {m.version}" for lang, m in models.models.items()),
        state.settings.model_dir,
        os.getpid(),
    )
    loop = asyncio.get_running_loop()
    hup = False
    with suppress(NotImplementedError, RuntimeError, ValueError):  # not in the main thread
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, state)
        hup = True
    yield
    if hup:
        loop.remove_signal_handler(signal.SIGHUP)
    state.models = None

"""Loading the model at start-up and swapping in a new one while serving."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.model import ModelLoadError, ModelSet, load_models
from app.observability import Metrics
from app.settings import Settings

log = logging.getLogger("app.lifecycle")


async def reload_model(app: FastAPI) -> tuple[str | None, str]:
    """Load, check and swap in the models from the model folder; (old, new) versions.

    On any failure ModelLoadError is raised and the current model keeps serving. Requests
    already running keep the model object they started with.
    """
    settings: Settings = app.state.settings
    metrics: Metrics = app.state.metrics
    async with app.state.reload_lock:
        old: ModelSet | None = app.state.model
        try:
            new = await run_in_threadpool(load_models, settings.model_dir, old)
        except Exception as exc:
            metrics.reloads.labels(outcome="refused").inc()
            log.error(
                "model reload refused; still serving %s: %s", old.version if old else None, exc
            )
            if isinstance(exc, ModelLoadError):
                raise
            raise ModelLoadError(f"The model could not be loaded: {exc}") from exc
        app.state.model = new
        metrics.set_model(new.default.manifest.name, new.version)
        metrics.reloads.labels(outcome="loaded").inc()
        log.info("model reloaded: %s -> %s", old.version if old else None, new.version)
        return (old.version if old else None), new.version


def _on_sighup(app: FastAPI) -> None:
    async def run() -> None:
        with suppress(ModelLoadError):
            await reload_model(app)

    app.state.reload_tasks.add(task := asyncio.get_running_loop().create_task(run()))
    task.add_done_callback(app.state.reload_tasks.discard)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    try:
        model = load_models(settings.model_dir)
    except ModelLoadError as exc:
        log.critical("cannot start: %s", exc)
        raise
    app.state.model = model
    app.state.metrics.set_model(model.default.manifest.name, model.version)
    log.info(
        "serving %s from %s (pid %d)",
        ", ".join(f"{lang} model {m.version}" for lang, m in model.models.items()),
        settings.model_dir,
        os.getpid(),
    )
    loop = asyncio.get_running_loop()
    hup = False
    with suppress(NotImplementedError, RuntimeError, ValueError):  # not in the main thread
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, app)
        hup = True
    yield
    if hup:
        loop.remove_signal_handler(signal.SIGHUP)
    app.state.model = None

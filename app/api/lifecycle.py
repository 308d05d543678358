"""Loading the models at start-up, and swapping in new ones while serving.

Under `framing serve` (a run folder is set) a worker serves the staged copy the run
folder's pointer names and follows the pointer when it moves (app/api/rollout.py), so
every worker serves the same models. Without one (tests, an app run by hand) the models
are loaded from the model folder and reloaded from it.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.api.corrections import close_feedback, open_feedback
from app.api.rollout import Rollout
from app.api.state import ServiceState, state_of
from app.core.artifact import ModelLoadError
from app.core.model import ModelSet, load_models
from app.feedback.store import StorageError

log = logging.getLogger("app.lifecycle")
FOLLOW_SECONDS = 0.5  # how often a worker looks at the run folder's pointer


def release_free_memory() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim; elsewhere a
    no-op). Loading models frees large temporaries (decompressed arrays, the previous
    models on a reload) between allocations that stay, and those holes stayed resident:
    about 13 MB of a worker's memory after start-up, measured."""
    with suppress(OSError, AttributeError):  # AttributeError: a C library without it
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: no library search


def _swap(state: ServiceState, models: ModelSet, digest: str | None) -> None:
    state.models = models
    state.digest = digest
    state.metrics.set_models(models.versions)
    if state.rollout is not None and digest is not None:
        state.rollout.report(digest)
    release_free_memory()


async def reload_models(state: ServiceState) -> tuple[str | None, str]:
    """Check and swap in the models of the model folder; (old, new) versions.

    On any failure ModelLoadError is raised and the current models keep serving. Requests
    already running keep the models they started with. Under `framing serve` the models
    are staged for every worker; `wait_for_workers` then says when all serve them.
    """
    async with state.reload_lock:
        old = state.models
        try:
            if state.rollout is not None:
                digest, new = await run_in_threadpool(state.rollout.stage, old)
            else:
                digest, new = (
                    None,
                    await run_in_threadpool(
                        load_models,
                        state.settings.model_dir,
                        old,
                        cache_dir=state.settings.cache_dir,
                    ),
                )
        except Exception as exc:
            state.metrics.reloads.labels(outcome="refused").inc()
            log.error(
                "model reload refused; still serving %s: %s", old.version if old else None, exc
            )
            if isinstance(exc, ModelLoadError):
                raise
            raise ModelLoadError(f"The model could not be loaded: {exc}") from exc
        _swap(state, new, digest)
        state.metrics.reloads.labels(outcome="loaded").inc()
        log.info("model reloaded: %s -> %s", old.version if old else None, new.version)
        return (old.version if old else None), new.version


async def wait_for_workers(state: ServiceState, timeout: float = 30.0) -> int | None:
    """Wait until every worker serves this worker's models; how many do (None on timeout)."""
    rollout, digest = state.rollout, state.digest
    if rollout is None or digest is None:
        return 1
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if rollout.all_serve(digest, state.settings.workers):
            return len(rollout.serving())
        await asyncio.sleep(0.1)
    return None


async def _follow(state: ServiceState) -> None:
    """Switch to the staged models whenever the run folder's pointer moves."""
    assert state.rollout is not None
    failed: str | None = None
    while True:
        await asyncio.sleep(FOLLOW_SECONDS)
        key = state.rollout.current()
        if key is None or key == state.digest or key == failed:
            continue
        async with state.reload_lock:
            if state.rollout.current() != key or key == state.digest:
                continue
            try:
                models = await run_in_threadpool(state.rollout.load, key, state.models)
            except ModelLoadError as exc:
                failed = key
                log.error("the staged models %s do not load; still serving: %s", key, exc)
                continue
            old = state.models
            _swap(state, models, key)
            log.info("now serving %s (was %s)", models.version, old.version if old else None)


def _on_sighup(state: ServiceState) -> None:
    async def run() -> None:
        with suppress(ModelLoadError):
            await reload_models(state)

    state.background.add(task := asyncio.get_running_loop().create_task(run()))
    task.add_done_callback(state.background.discard)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = state_of(app)
    settings = state.settings
    try:
        if settings.run_dir is not None:
            state.rollout = Rollout(settings.run_dir, settings.model_dir, settings.cache_dir)
            digest, models = await run_in_threadpool(state.rollout.current_or_stage)
        else:
            digest, models = (
                None,
                await run_in_threadpool(
                    load_models, settings.model_dir, cache_dir=settings.cache_dir
                ),
            )
    except ModelLoadError as exc:
        log.critical("cannot start: %s", exc)
        raise
    _swap(state, models, digest)
    log.info(
        "serving %s from %s (pid %d)",
        ", ".join(f"{lang} model {m.version}" for lang, m in models.models.items()),
        settings.run_dir or settings.model_dir,
        os.getpid(),
    )
    if settings.annotator_tokens:
        try:
            await open_feedback(state)
        except StorageError as exc:  # the service still classifies; /feedback says why
            log.error("corrections cannot be stored until this is fixed: %s", exc)
    if state.rollout is not None:
        follower = asyncio.get_running_loop().create_task(_follow(state))
        state.background.add(follower)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(settings.switch_interval_ms / 1000)
    loop = asyncio.get_running_loop()
    hup = False
    with suppress(NotImplementedError, RuntimeError, ValueError):  # not in the main thread
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, state)
        hup = True
    yield
    sys.setswitchinterval(switch_interval)
    if hup:
        loop.remove_signal_handler(signal.SIGHUP)
    for task in list(state.background):
        task.cancel()
    if state.rollout is not None:
        state.rollout.forget()
    await close_feedback(state)
    state.models = None

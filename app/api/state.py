"""What the running app holds: its settings, metrics, models and the locks around them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from app.api.jobs import Lanes
from app.api.observability import Metrics
from app.api.rollout import Rollout
from app.core.model import ModelSet
from app.feedback.store import FeedbackStore
from app.settings import Settings


@dataclass
class ServiceState:
    settings: Settings
    metrics: Metrics
    lanes: Lanes
    models: ModelSet | None = None
    rollout: Rollout | None = None  # under `framing serve`: the run folder
    digest: str | None = None  # the staged copy being served, under a run folder
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    feedback: FeedbackStore | None = None  # the corrections' store, once opened
    feedback_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def create(cls, settings: Settings) -> ServiceState:
        return cls(
            settings=settings,
            metrics=Metrics(),
            lanes=Lanes(
                settings.classify_threads, settings.max_queue, settings.small_request_chars
            ),
        )


def state_of(app: ASGIApp | HTTPConnection) -> ServiceState:
    """The service state of an app, or of the app a request came to."""
    target = app.app if isinstance(app, HTTPConnection) else app
    state: ServiceState = target.state.service  # type: ignore[union-attr]
    return state

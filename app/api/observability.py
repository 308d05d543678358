"""Request ids, JSON access logs and Prometheus metrics.

Logs and metrics never hold submitted text: a request's body is described by its size
and the first 16 hex digits of its SHA-256.

Metrics cover the whole service. `framing serve` with several workers gives them a
folder for prometheus_client's multiprocess mode (`RUN/metrics`, in
PROMETHEUS_MULTIPROC_DIR before they start): each worker writes its values to files
there, and /metrics, whichever worker answers, adds up every worker's, the dead ones'
counts included. One process (tests, one worker) keeps its own registry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("app.access")


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The multiprocess folder, when this process's metric values are kept in it.

    prometheus_client chooses where values live when it is imported, from the
    environment; `framing serve` sets that before its workers start.
    """
    folder = os.environ.get(MULTIPROC_ENV)
    in_files = getattr(prometheus_values.ValueClass, "__name__", "") == "MmapedValue"
    return folder if folder and in_files else None


class Metrics:
    """The service's Prometheus metrics, in a registry of their own (this process's), or
    read from every worker's files in multiprocess mode."""

    def __init__(self) -> None:
        self.multiprocess_dir = multiprocess_dir()
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "framing_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "framing_http_request_duration_seconds",
            "Time to answer, by route.",
            ["route", "method"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.sentences = Counter(
            "framing_sentences_classified", "Sentences classified.", registry=self.registry
        )
        self.labels = Counter(
            "framing_labels_emitted",
            "Labels given to sentences.",
            ["label"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "framing_model_info",
            "The models being served, one per language (value 1: some live worker serves it).",
            ["language", "version"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self._served: set[tuple[str, str]] = set()
        self.reloads = Counter(
            "framing_model_reloads",
            "Model reload attempts by outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def set_models(self, versions: dict[str, str]) -> None:
        served = set(versions.items())
        if self.multiprocess_dir is None:
            self.model_info.clear()
        else:  # a worker's file keeps every series it wrote: what it stopped serving is 0
            for language, version in self._served - served:
                self.model_info.labels(language=language, version=version).set(0)
        for language, version in served:
            self.model_info.labels(language=language, version=version).set(1)
        self._served = served

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format: every worker's, or this process's."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)
        return generate_latest(registry)

    def count_classified(self, sentences: int, counts: dict[str, int]) -> None:
        self.sentences.inc(sentences)
        for label, n in counts.items():
            if n:
                self.labels.labels(label=label).inc(n)


class ObservabilityMiddleware:
    """Give each request an id, time it, count it, and log one JSON line about it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        digest = hashlib.sha256()
        size = 0

        async def receive_hashing() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                size += len(chunk)
                digest.update(chunk)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive_hashing, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=route, method=method).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "body_bytes": size,
                    "body_sha256": digest.hexdigest()[:16] if size else None,
                },
            )
            request_id_var.reset(token)


_STANDARD = {*vars(logging.makeLogRecord({})), "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def log_config(level: str) -> dict[str, Any]:
    """Logging set-up for uvicorn.run: JSON lines on stderr for app and server alike."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "app": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }

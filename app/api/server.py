"""Running the service under uvicorn, with the limits and timeouts an exposed server needs.

uvicorn's own HTTP protocol sets no limit on the request line or the headers, no timeout
for headers or bodies that arrive slowly (or never), answers its own errors as plain
text, and says `server: uvicorn`. `GuardedHTTPProtocol` adds these, answering each as a
problem document with the security headers: 414 (request line), 431 (headers), 408
(too slow), 400 (unparsable), 503 (too many connections). With several workers,
`Supervisor` replaces uvicorn's SIGHUP handling: instead of restarting the workers it
stages the models on disk (checked, copied) and every worker switches to them (see
app/api/rollout.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

from app.api.observability import MULTIPROC_ENV, log_config
from app.api.problem_types import PROBLEM_MEDIA_TYPE, TYPE_PREFIX
from app.api.security import STRICT_CSP
from app.settings import Settings, get_settings

log = logging.getLogger("app.server")

_SLUGS = {
    400: "bad-request",
    408: "request-timeout",
    414: "uri-too-long",
    431: "headers-too-large",
    503: "too-many-connections",
}


def problem_bytes(status: int, detail: str) -> bytes:
    """A whole HTTP response: a problem document with the security headers, then close."""
    body = json.dumps(
        {
            "type": TYPE_PREFIX + _SLUGS.get(status, "http-error"),
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
        }
    ).encode()
    headers = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"content-type: {PROBLEM_MEDIA_TYPE}",
        f"content-length: {len(body)}",
        f"content-security-policy: {STRICT_CSP}",
        "x-content-type-options: nosniff",
        "x-frame-options: DENY",
        "referrer-policy: no-referrer",
        "connection: close",
    ]
    if status == 503:
        headers.append("retry-after: 1")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


class GuardedHTTPProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with request-line and header limits, timeouts for
    headers and bodies, a connection cap, TCP_NODELAY, and problem documents for its own
    errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = get_settings()  # the worker's, from FRAMING_* set by `serve`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # With several workers uvicorn binds the socket itself and asyncio leaves
            # Nagle's algorithm on: each keep-alive request waited ~40 ms for an ACK.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._rejected = False
        self._line_bytes = 0
        self._header_bytes = 0
        self._header_count = 0
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > self.settings.max_connections:
            self._reject(503, "The server has too many open connections; retry in a second.")
            return
        self._arm(self.settings.header_timeout, "The request's headers did not arrive in time.")

    def _arm(self, seconds: float, detail: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._reject, 408, detail)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _reject(self, status: int, detail: str) -> None:
        """Answer `status` and close the connection, unless a response has begun."""
        self._disarm()
        if self._rejected or self.transport.is_closing():
            return
        self._rejected = True
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(problem_bytes(status, detail))
        if self.cycle is not None:
            self.cycle.disconnected = True  # the app sees http.disconnect if it reads on
            self.cycle.message_event.set()
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        self._reject(400, "The request is not valid HTTP/1.1.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._line_bytes = self._header_bytes = self._header_count = 0
        self._arm(self.settings.header_timeout, "The request's headers did not arrive in time.")

    def on_url(self, url: bytes) -> None:
        self._line_bytes += len(url)
        if self._line_bytes > self.settings.max_request_line_bytes:
            self._reject(
                414, f"The request line is over {self.settings.max_request_line_bytes} bytes."
            )
            raise ValueError("request line too long")  # stops the parser
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        self._header_count += 1
        if (
            self._header_bytes > self.settings.max_header_bytes
            or self._header_count > self.settings.max_headers
        ):
            self._reject(
                431,
                f"The request's headers are over {self.settings.max_header_bytes} bytes or "
                f"{self.settings.max_headers} fields.",
            )
            raise ValueError("headers too large")  # stops the parser
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not self._rejected and self.cycle is not None and self.cycle.more_body:
            self._arm(self.settings.body_timeout, "The request's body did not arrive in time.")

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas: threads each growing their own arena made RSS creep."""
    os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas))  # for worker processes
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(libc_name).mallopt(-8, arenas)  # M_ARENA_MAX, for this process


def raise_file_limit() -> int:
    """Raise the open-file limit to its hard maximum; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


class Supervisor(Multiprocess):
    """uvicorn's worker supervisor, with SIGHUP meaning: stage the models on disk, and
    let every worker switch to them (no restarts). A model that fails its checks changes
    nothing. A worker that dies or is retired is marked dead in the metrics folder: its
    counts stay in the totals, its gauges leave them."""

    def keep_subprocess_alive(self) -> None:
        before = {p.pid for p in self.processes}
        super().keep_subprocess_alive()
        self._mark_dead(before)

    def handle_ttou(self) -> None:
        before = {p.pid for p in self.processes}
        super().handle_ttou()
        self._mark_dead(before)

    def _mark_dead(self, before: set[int | None]) -> None:
        folder = os.environ.get(MULTIPROC_ENV)
        if not folder:
            return
        from prometheus_client import multiprocess

        for pid in before - {p.pid for p in self.processes}:
            if pid is not None:
                multiprocess.mark_process_dead(pid, folder)

    def handle_hup(self) -> None:
        logging.getLogger("uvicorn.error").info("Received SIGHUP, staging the models.")
        done = subprocess.run(
            [sys.executable, "-m", "app.api.rollout", "stage"], env=os.environ, check=False
        )
        if done.returncode != 0:
            log.error("the models on disk were refused; the workers keep serving")


def serve(app: str, settings: Settings | None = None) -> None:
    """Serve the app factory `app` ("module:function") until stopped."""
    settings = settings or get_settings()
    limit_malloc_arenas()
    files = raise_file_limit()
    if files < settings.max_connections + 64:
        log.warning(
            "only %d open files allowed; FRAMING_MAX_CONNECTIONS is %d",
            files,
            settings.max_connections,
        )
    # Workers read their settings from the environment: what `framing serve` was told
    # on its command line must reach them too.
    run_dir = settings.run_dir
    try:
        run_dir = run_dir or Path(tempfile.mkdtemp(prefix="framing-run-"))
        run_dir.mkdir(parents=True, exist_ok=True)
        os.environ["FRAMING_RUN_DIR"] = str(run_dir)
    except OSError as exc:  # a read-only file system with no writable /tmp
        log.warning(
            "no run folder (%s): each worker loads the model folder itself, and a reload "
            "reaches only the worker that takes it. Mount a writable /tmp or set "
            "FRAMING_RUN_DIR.",
            exc,
        )
        os.environ.pop("FRAMING_RUN_DIR", None)
        run_dir = None
    # Several workers count into one metrics folder in the run folder, emptied first:
    # files of an earlier run would add to this one's totals.
    os.environ.pop(MULTIPROC_ENV, None)
    if run_dir is not None and settings.workers > 1:
        metrics_dir = run_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir()
        os.environ[MULTIPROC_ENV] = str(metrics_dir)
    elif settings.workers > 1:
        log.warning("no run folder: /metrics shows only the worker that answers")
    os.environ["FRAMING_MODEL_DIR"] = str(settings.model_dir)
    os.environ["FRAMING_WORKERS"] = str(settings.workers)
    os.environ["FRAMING_HOST"] = settings.host
    os.environ["FRAMING_PORT"] = str(settings.port)
    get_settings.cache_clear()  # this process reads them too, with one worker
    config = uvicorn.Config(
        app,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        access_log=False,  # the app logs each request itself, without query strings
        timeout_graceful_shutdown=30,
        timeout_keep_alive=int(settings.keep_alive_timeout),
        http=GuardedHTTPProtocol,
        server_header=False,
    )
    server = uvicorn.Server(config)
    if settings.workers > 1:
        sock = config.bind_socket()
        Supervisor(config, sockets=[sock]).run()
    else:
        server.run()


def uvicorn_options() -> dict[str, Any]:  # pragma: no cover - for people running uvicorn
    """Options to pass when running `uvicorn app.api.main:create_app` by hand."""
    return {"http": GuardedHTTPProtocol, "server_header": False}

"""Running classification off the event loop: bounded lanes, load shedding, cancellation.

Classification is CPU-bound Python and holds the GIL, so a few threads per worker are
all that helps. Requests wait for a thread in one of two lanes: small requests (at most
`small_request_chars` characters) in a lane of their own, so they never queue behind
large ones. A lane holds at most `max_queue` waiting requests; the next is answered 503
with Retry-After at once rather than left to time out. A client that goes away while
its request waits leaves the queue; one that goes away while it runs stops the job at
the next checkpoint.

Waiting requests queue inside the lane's thread pool, not on the event loop: a thread
that finishes a job takes the next at once, whatever the loop is busy with (refusing a
flood of retries, say). The thread also needs the GIL back from that loop after every
NumPy call: the workers' short switch interval (FRAMING_SWITCH_INTERVAL_MS, lifecycle.py)
sees to that.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect, Request

from app.api.problems import ProblemError
from app.core.classifier import Cancelled

T = TypeVar("T")


class Lane:
    """`threads` threads with a bounded queue in front of them."""

    def __init__(self, name: str, threads: int, max_queue: int) -> None:
        self.name = name
        self.threads = threads
        self.max_queue = max_queue
        self.admitted = 0  # jobs running or waiting (counted on the event loop)
        self._pool: ThreadPoolExecutor | None = None  # started on first use

    @property
    def waiting(self) -> int:
        return max(self.admitted - self.threads, 0)

    def full(self) -> bool:
        return self.admitted >= self.threads + self.max_queue

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """func(*args) in one of the lane's threads. Cancelled while it waits, it leaves
        the queue; cancelled while it runs, it still waits for the thread to finish."""
        if self.full():
            raise ProblemError(
                503,
                "overloaded",
                f"The service is busy ({self.waiting} requests already wait in the "
                f"{self.name} lane); retry in a second.",
                headers={"Retry-After": "1"},
            )
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, f"framing-{self.name}")
        call = partial(contextvars.copy_context().run, func, *args)  # the request id
        self.admitted += 1
        try:
            job = self._pool.submit(call)
            done = asyncio.wrap_future(job)
            try:
                return await asyncio.shield(done)
            except asyncio.CancelledError:
                if not job.cancel():  # running already: the thread goes on until it returns
                    await asyncio.wait([done])
                    if not done.cancelled():
                        done.exception()  # seen (Cancelled, usually): nobody waits for it now
                raise
        finally:
            self.admitted -= 1


class Lanes:
    def __init__(self, threads: int, max_queue: int, small_chars: int) -> None:
        self.small = Lane("small-request", 1, max_queue)
        self.large = Lane("large-request", threads, max_queue)
        self.small_chars = small_chars

    def for_size(self, chars: int) -> Lane:
        return self.small if chars <= self.small_chars else self.large


async def run_job(request: Request, lane: Lane, func: Callable[..., T], *args: Any) -> T:
    """Run `func(*args, stop)` in `lane`; raise ClientDisconnect if the client goes away.

    `stop` is a threading.Event the job checks between its stages.
    """
    stop = threading.Event()
    job = asyncio.ensure_future(lane.run(func, *args, stop))

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                stop.set()
                job.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        return await job
    except (asyncio.CancelledError, Cancelled):
        if not stop.is_set():  # this request itself was cancelled: so is its job
            job.cancel()
            raise
        raise ClientDisconnect() from None
    finally:
        watcher.cancel()

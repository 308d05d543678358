"""Running classification off the event loop: bounded lanes, load shedding, cancellation.

Classification is CPU-bound Python and holds the GIL, so a few threads per worker are
all that helps. Requests wait for a thread in one of two lanes: small requests (at most
`small_request_chars` characters) in a lane of their own, so they never queue behind
large ones. A lane holds at most `max_queue` waiting requests; the next is answered 503
with Retry-After at once rather than left to time out. A client that goes away while
its request waits leaves the queue; one that goes away while it runs stops the job at
the next checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request

from app.api.problems import ProblemError
from app.core.classifier import Cancelled

T = TypeVar("T")


class Lane:
    """A capacity limiter with a bounded queue in front of it."""

    def __init__(self, name: str, threads: int, max_queue: int) -> None:
        self.name = name
        self.limiter = anyio.CapacityLimiter(threads)
        self.max_queue = max_queue
        self.waiting = 0

    def full(self) -> bool:
        busy = self.limiter.borrowed_tokens >= self.limiter.total_tokens
        return busy and self.waiting >= self.max_queue

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        if self.full():
            raise ProblemError(
                503,
                "overloaded",
                f"The service is busy ({self.waiting} requests already wait in the "
                f"{self.name} lane); retry in a second.",
                headers={"Retry-After": "1"},
            )
        self.waiting += 1
        try:
            await self.limiter.acquire()
        finally:
            self.waiting -= 1
        try:
            return await anyio.to_thread.run_sync(func, *args)
        finally:
            self.limiter.release()


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
    result: list[T] = []
    failure: list[Exception] = []

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                stop.set()
                scope.cancel()
                return

    async with anyio.create_task_group() as group:
        scope = group.cancel_scope
        group.start_soon(watch)
        try:
            result.append(await lane.run(func, *args, stop))
        except Cancelled:
            pass  # the job saw `stop`: its client has gone
        except Exception as exc:  # raised below, outside the task group's exception group
            failure.append(exc)
        finally:
            group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if not result:
        raise ClientDisconnect()
    return result[0]

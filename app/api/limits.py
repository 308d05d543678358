"""Request body size limits, enforced before a body is read whole."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import ProblemError, problem_response


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "body-too-large",
        f"The request body is larger than {limit} bytes. Send less text per request, "
        "or split a batch into several requests.",
    )


DRAIN_LIMIT = 32 * 1024 * 1024


async def drain(receive: Receive, more: bool = True, budget: int = DRAIN_LIMIT) -> bool:
    """Read and discard the rest of a body so the client sees the answer, not a reset.

    Returns whether the body ended within the budget; if not, the connection is closed.
    """
    while more and budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return False
        budget -= len(message.get("body", b""))
        more = message.get("more_body", False)
    return not more


class BodyLimitMiddleware:
    """Answer 413 when a body's declared or streamed size passes the limit for its path."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                declared_size = int(declared)
            except ValueError:
                declared_size = -1
            if declared_size < 0:
                response = problem_response(
                    None, 400, "bad-content-length", "Content-Length is not a whole number."
                )
                await response(scope, receive, send)
                return
            if declared_size > limit:
                exc = too_large(limit)
                drained = declared_size <= DRAIN_LIMIT and await drain(receive)
                headers = None if drained else {"Connection": "close"}
                response = problem_response(None, exc.status, exc.slug, exc.detail, headers=headers)
                await response(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    await drain(receive, message.get("more_body", False))
                    raise too_large(limit)
            return message

        await self.app(scope, counting_receive, send)

"""Lanes: the queue in front of the classification threads."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.api.jobs import Lane
from app.api.problems import ProblemError


def test_a_thread_takes_the_next_job_without_waiting_for_the_event_loop() -> None:
    # A loop busy with other work (refusing a flood of retries, say) must not leave the
    # thread idle between two jobs: the second starts while the loop is still blocked.
    lane = Lane("test", threads=1, max_queue=4)
    loop_blocked = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        time.sleep(0.1)

    def second() -> None:
        seen.append(loop_blocked.is_set())

    async def main() -> None:
        jobs = [asyncio.ensure_future(lane.run(first)), asyncio.ensure_future(lane.run(second))]
        await asyncio.sleep(0)  # both submitted
        loop_blocked.set()
        time.sleep(0.6)  # the loop does nothing else for a while
        loop_blocked.clear()
        await asyncio.gather(*jobs)

    asyncio.run(main())
    assert seen == [True]


def test_a_full_lane_refuses_at_once_and_frees_places_as_jobs_end() -> None:
    lane = Lane("test", threads=1, max_queue=1)
    release = threading.Event()

    async def main() -> None:
        held = [asyncio.ensure_future(lane.run(release.wait, 5)) for _ in range(2)]
        await asyncio.sleep(0)
        assert lane.full()
        with pytest.raises(ProblemError) as info:
            await lane.run(time.sleep, 0)
        assert info.value.status == 503
        assert info.value.headers == {"Retry-After": "1"}
        release.set()
        await asyncio.gather(*held)
        assert lane.admitted == 0
        await lane.run(time.sleep, 0)  # room again

    asyncio.run(main())


def test_a_job_cancelled_while_it_waits_never_runs() -> None:
    lane = Lane("test", threads=1, max_queue=2)
    release = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        running = asyncio.ensure_future(lane.run(release.wait, 5))
        waiting = asyncio.ensure_future(lane.run(ran.append, "waiting job"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert lane.admitted == 1  # its place is free before the running job ends
        release.set()
        await running

    asyncio.run(main())
    assert ran == []

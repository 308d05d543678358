"""Soak test: a bounded mixed load on loopback against `framing serve` with 2 workers.

    python -m scripts.soak [--seconds 60] [--concurrency 32] [--workers 2]

Sends valid, invalid and large requests, then checks: no 5xx, no dropped connections,
resident memory growth of the workers after warm-up under 10%, and that requests in
flight when SIGTERM arrives still finish. Only ever targets 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.http import children, free_port, rss_mb

ROOT = Path(__file__).resolve().parent.parent

VALID = (
    "The ministry rejected the report as a fabrication on Tuesday. Officials said only a "
    "handful of people were slightly hurt. The opposition blamed the governor for the "
    "blackout, which lasted six hours. Rain is expected in the north."
)


def requests_mix(rng: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
    """One request: (kind, path, body, headers)."""
    roll = rng.random()
    js = {"content-type": "application/json"}
    if roll < 0.55:
        text = " ".join(rng.sample(VALID.split(". "), 3))
        return "valid", "/classify", json.dumps({"text": text}).encode(), js
    if roll < 0.70:
        docs = [{"id": str(i), "text": VALID} for i in range(rng.randint(1, 20))]
        return "batch", "/classify/batch", json.dumps({"documents": docs}).encode(), js
    if roll < 0.80:
        return "large", "/classify", json.dumps({"text": VALID * 300}).encode(), js
    bad = [
        (b'{"text": ', js),
        (b'{"text": ""}', js),
        (b"\xff\xfe", {"content-type": "text/plain"}),
        (b"<x/>", {"content-type": "application/xml"}),
        (json.dumps({"text": "x" * 200_000}).encode(), js),
        (b"x" * (2 * 1024 * 1024), {"content-type": "text/plain"}),
    ]
    body, headers = rng.choice(bad)
    return "invalid", "/classify", body, headers


async def load(url: str, seconds: float, concurrency: int, seed: int) -> dict[str, object]:
    statuses: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    dropped = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as c:

        async def worker(n: int) -> None:
            nonlocal dropped
            rng = random.Random(seed + n)
            while time.perf_counter() < deadline:
                kind, path, body, headers = requests_mix(rng)
                t = time.perf_counter()
                try:
                    r = await c.post(url + path, content=body, headers=headers)
                    statuses[str(r.status_code)] += 1
                except httpx.HTTPError:
                    dropped += 1
                kinds[kind] += 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "statuses": dict(statuses),
        "kinds": dict(kinds),
        "dropped": dropped,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server not ready")


async def in_flight_then_sigterm(url: str, pid: int) -> list[int]:
    """Start slow batch requests, SIGTERM the server while they run; their statuses."""
    docs = [{"id": str(i), "text": VALID * 60} for i in range(100)]
    async with httpx.AsyncClient(timeout=60) as c:
        tasks = [
            asyncio.create_task(c.post(url + "/classify/batch", json={"documents": docs}))
            for _ in range(4)
        ]
        await asyncio.sleep(0.3)
        os.kill(pid, signal.SIGTERM)
        results = await asyncio.gather(*tasks, return_exceptions=True)
    return [r.status_code if isinstance(r, httpx.Response) else -1 for r in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FRAMING_PORT": str(port),
        "FRAMING_WORKERS": str(args.workers),
        "FRAMING_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], env=env, cwd=ROOT)
    try:
        wait_ready(url)
        pids = children(server.pid) if args.workers > 1 else [server.pid]
        samples: list[tuple[float, dict[int, float]]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.5):
                samples.append((time.perf_counter(), {p: rss_mb(p) for p in pids}))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        warm = asyncio.run(load(url, args.warmup, args.concurrency, seed=1))
        warm_end = time.perf_counter()
        main_run = asyncio.run(load(url, args.seconds, args.concurrency, seed=2))
        stop.set()
        sampler.join()
        last_third = warm_end + args.seconds * 2 / 3
        # High-water marks: the most each worker held during warm-up, and at the end.
        before = {p: max(s[p] for t, s in samples if t <= warm_end) for p in pids}
        after = {p: max(s[p] for t, s in samples if t >= last_third) for p in pids}
        growth = {p: 100 * (after[p] - before[p]) / before[p] for p in pids}
        shutdown = asyncio.run(in_flight_then_sigterm(url, server.pid))
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    fivexx = sum(n for s, n in main_run["statuses"].items() if s.startswith("5"))  # type: ignore[union-attr]
    report = {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "warmup": warm,
        "run": main_run,
        "rss_mb_max_during_warmup": before,
        "rss_mb_max_in_last_third": after,
        "rss_growth_percent": {p: round(g, 2) for p, g in growth.items()},
        "in_flight_statuses_on_sigterm": shutdown,
        "server_exit_code": server.returncode,
    }
    print(json.dumps(report, indent=2))
    ok = (
        fivexx == 0
        and main_run["dropped"] == 0
        and all(g < 10 for g in growth.values())
        and all(s == 200 for s in shutdown)
    )
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

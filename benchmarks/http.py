"""HTTP throughput on loopback: uvicorn with 1 and 2 workers against the echo ceiling.

The load comes from wrk (Debian's package) when installed, else from an async httpx
client. Runs are bounded in time and only ever target 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY"), "r")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d, ' ..
    '"p50": %f, "p95": %f, "p99": %f}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_uvicorn(
    env: dict[str, str], port: int | None = None, timeout: float = 30.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the service in one plain uvicorn worker on a loopback port (free_port when
    none is given) and wait until /readyz answers 200; (process, url)."""
    port = port or free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the service did not become ready")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time these processes have used so far (all their threads)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime and stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The worker processes of `pid` (multiprocessing's resource tracker is not one)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            cmdline = (stat.parent / "cmdline").read_bytes()
            if b"resource_tracker" not in cmdline:
                out.append(int(stat.parent.name))
    return out


@contextmanager
def server(app: str, workers: int, env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Start uvicorn on a free loopback port; yield its url, pid and time to ready."""
    port = free_port()
    started = time.perf_counter()
    # The same server set-up as `framing serve` (app/api/server.py), for either app.
    code = f"from app.api.server import serve; serve({app!r})"
    settings = {
        "FRAMING_HOST": "127.0.0.1",
        "FRAMING_PORT": str(port),
        "FRAMING_WORKERS": str(workers),
        "FRAMING_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **settings, **env},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.02)
        else:
            raise RuntimeError(f"{app} did not become ready")
        ready = time.perf_counter() - started
        yield {"url": url, "pid": proc.pid, "ready_seconds": ready}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def load_wrk(url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    threads = min(2, concurrency)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            f.name,
            f"{url}/classify",
        ],
        env={**os.environ, "BENCH_BODY": str(body)},
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(f.name)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    r = json.loads(line[len("RESULT ") :])
    failed = r["errors"] + r["non2xx"]
    return {
        "answers": r["requests"],
        "requests_per_s": (r["requests"] - failed) / r["seconds"],
        "p50_ms": r["p50"],
        "p95_ms": r["p95"],
        "p99_ms": r["p99"],
        "errors": failed,
    }


def load_httpx(url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    payload = body.read_bytes()

    async def main() -> dict[str, Any]:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    t = time.perf_counter()
                    try:
                        r = await client.post(
                            f"{url}/classify",
                            content=payload,
                            headers={"content-type": "application/json"},
                        )
                        ok = r.status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    latencies.append(time.perf_counter() - t)
                    errors += not ok

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        return {
            "answers": len(latencies),
            "requests_per_s": (len(latencies) - errors) / elapsed,
            "p50_ms": q[49] * 1000,
            "p95_ms": q[94] * 1000,
            "p99_ms": q[98] * 1000,
            "errors": errors,
        }

    # In a thread of its own: the caller may already run an event loop (Playwright's sync
    # API keeps one in the test process), and asyncio.run refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def run(
    model_dir: Path,
    article_json: Path,
    sentences: int,
    concurrencies: tuple[int, ...] = (1, 16, 64),
    workers: tuple[int, ...] = (1, 2),
    seconds: float = 5.0,
    client: str | None = None,
) -> dict[str, Any]:
    client = client or ("wrk" if shutil.which("wrk") else "httpx")
    load = load_wrk if client == "wrk" else load_httpx
    env = {"FRAMING_MODEL_DIR": str(model_dir), "FRAMING_LOG_LEVEL": "warning"}
    rows: list[dict[str, Any]] = []
    memory: list[dict[str, Any]] = []
    for n in workers:
        for app in ("app.api.main:create_app", "benchmarks.echo_app:create_app"):
            with server(app, n, env) as s:
                name = "framing" if app.startswith("app.") else "echo"
                load(s["url"], article_json, 4, min(1.0, seconds))  # warm-up
                worker_pids = children(s["pid"]) if n > 1 else [s["pid"]]
                pids = [s["pid"], *worker_pids] if n > 1 else worker_pids  # and the supervisor
                for c in concurrencies:
                    before = cpu_seconds(pids)
                    r = load(s["url"], article_json, c, seconds)
                    cpu = cpu_seconds(pids) - before
                    rows.append(
                        {
                            "app": name,
                            "workers": n,
                            "concurrency": c,
                            **r,
                            "sentences_per_s": r["requests_per_s"] * sentences,
                            "cpu_ms_per_answer": 1000 * cpu / max(r["answers"], 1),
                        }
                    )
                if name == "framing":
                    memory.append(
                        {
                            "workers": n,
                            "ready_seconds": s["ready_seconds"],
                            "rss_mb": [round(rss_mb(p), 1) for p in worker_pids],
                        }
                    )
    return {"client": client, "seconds": seconds, "rows": rows, "memory": memory}

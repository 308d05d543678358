"""The hardening recipes against `framing serve --workers 2` on the real models: a table.

    python -m scripts.attack            # prints a Markdown table for docs/reliability.md

Each recipe is sent on loopback, timed, and followed by a /healthz probe; worker memory is
read before and after. tests/server/test_attacks.py asserts the same behaviour on tiny
models; this script measures it on the models that ship.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.http import children, free_port, rss_mb
from tests.server.test_attacks import _read_all, _wait_ready


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    run = Path(os.environ.get("TMPDIR", "/tmp")) / f"framing-attack-{os.getpid()}"
    env = {**os.environ, "FRAMING_RUN_DIR": str(run), "FRAMING_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[tuple[str, str, float, float]] = []

    def workers() -> list[int]:
        alive = set(children(proc.pid))
        return [int(p.name) for p in (run / "workers").iterdir() if int(p.name) in alive]

    def recipe(name: str, call: Callable[[], str]) -> None:
        started = time.perf_counter()
        outcome = call()
        seconds = time.perf_counter() - started
        probe = time.perf_counter()
        httpx.get(f"{url}/healthz", timeout=30)
        rows.append((name, outcome, seconds, time.perf_counter() - probe))

    def post(body: object) -> str:
        response = httpx.post(f"{url}/classify", json=body, timeout=120)
        return str(response.status_code)

    def raw(data: bytes) -> str:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(data)
            return _read_all(s)[:12].decode("latin-1").replace("HTTP/1.1 ", "") or "closed"

    try:
        _wait_ready(url)
        before = {pid: rss_mb(pid) for pid in workers()}
        for unit in ("г. Курск ", "А. Иванов ", "ул. Ленина ", "им. Пушкина ", "с. Луговое "):
            recipe(
                f"`{unit.strip()}` x 11,112 (100k chars)",
                lambda u=unit: post({"text": (u * 11112)[:100_000]}),
            )
        recipe('"A\\n" x 50,000, explain', lambda: post({"text": "A\n" * 50_000, "explain": True}))
        docs = b'{"documents": [' + b",".join([b"{}"] * 1_000_000) + b"]}"
        recipe(
            "batch of 1,000,000 `{}`",
            lambda: str(
                httpx.post(
                    f"{url}/classify/batch",
                    content=docs,
                    headers={"content-type": "application/json"},
                    timeout=120,
                ).status_code
            ),
        )
        keys = json.dumps({"text": "x", **{f"k{i}": 1 for i in range(111_846)}}).encode()
        keys = keys[: 1024 * 1024 - 2][: keys[: 1024 * 1024 - 2].rfind(b",")] + b"}"
        recipe(
            "1 MiB body, 111,846 extra keys",
            lambda: str(
                httpx.post(
                    f"{url}/classify",
                    content=keys,
                    headers={"content-type": "application/json"},
                    timeout=120,
                ).status_code
            ),
        )
        recipe(
            "1 MB header",
            lambda: raw(
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 1_000_000 + b"\r\n\r\n"
            ),
        )
        recipe(
            "10,000 headers",
            lambda: raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 10_000 + b"\r\n"),
        )
        recipe("100 KB request line", lambda: raw(b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n"))
        recipe(
            "declared body never sent",
            lambda: raw(
                b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n"
            ),
        )
        recipe("connect, send nothing", lambda: raw(b""))
        rng = random.Random(3)
        letters = "abcdefghijklmnopqrstuvwxyzабвгдежзийклмнопрстуфхцчшщ"
        for _ in range(80):
            post({"text": "".join(rng.choices(letters, k=60_000)), "language": "en"})
        after = {pid: rss_mb(pid) for pid in workers()}
        growth = max(after[p] - before.get(p, after[p]) for p in after)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    print("| recipe | answer | seconds | /healthz after (s) |")
    print("|---|---|---:|---:|")
    for name, outcome, seconds, probe in rows:
        print(f"| {name} | {outcome} | {seconds:.2f} | {probe:.3f} |")
    print(
        f"\nWorker RSS growth after 80 requests of 60,000 random unspaced characters: "
        f"{growth:+.1f} MB (largest of the two workers)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

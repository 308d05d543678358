"""The service in a process of its own (uvicorn), for tests that kill it or limit it."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.browser.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_service(
    env: dict[str, str], fsize: int | None = None, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the service; with `fsize`, once it is ready, no file it writes may grow past
    that many bytes (set then, since loading the language identifier writes a large
    temporary file)."""
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
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                if fsize is not None:
                    resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (fsize, fsize))
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the service did not become ready")


@contextmanager
def service(
    env: dict[str, str], fsize: int | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    proc, url = start_service(env, fsize)
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)

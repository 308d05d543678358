"""The service in a process of its own (uvicorn), for tests that kill it or limit it."""

from __future__ import annotations

import resource
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.http import start_uvicorn


def start_service(
    env: dict[str, str], fsize: int | None = None, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the service; with `fsize`, once it is ready, no file it writes may grow past
    that many bytes (set then, since loading the language identifier writes a large
    temporary file)."""
    proc, url = start_uvicorn(env, port)
    if fsize is not None:
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (fsize, fsize))
    return proc, url


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

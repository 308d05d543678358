"""/metrics of a real `framing serve --workers 2`: the whole service, whichever worker
answers, with a killed worker's counts kept and its gauges gone."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.http import children, free_port

pytestmark = pytest.mark.slow
TEXT = "The ministry denied any involvement in the strike. Rain is expected tomorrow."
REQUESTS = 30


class Served:
    def __init__(self, url: str, proc: subprocess.Popen[bytes], run: Path) -> None:
        self.url, self.proc, self.run = url, proc, run

    def workers(self) -> set[int]:
        """The worker processes that report serving, as the run folder says."""
        alive = set(children(self.proc.pid))
        reports = self.run / "workers"
        if not reports.is_dir():
            return set()
        return {int(p.name) for p in reports.iterdir() if p.name.isdigit() and int(p.name) in alive}

    def metrics(self) -> str:
        # A new connection each time, so either worker may answer.
        return httpx.get(f"{self.url}/metrics", headers={"connection": "close"}, timeout=10).text


def value(metrics: str, line_start: str) -> float:
    """The value of the one sample whose line starts with `line_start`."""
    found = [line for line in metrics.splitlines() if line.startswith(line_start)]
    assert len(found) == 1, (line_start, found)
    return float(found[0].rsplit(" ", 1)[1])


def wait_for(check: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError("not reached in time")


@pytest.fixture(scope="module")
def served(bilingual_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("metrics")
    run, log = base / "run", base / "server.log"
    stale = run / "metrics" / "counter_999999.db"  # left by an earlier run
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not this run's")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRAMING_")},
        "FRAMING_RUN_DIR": str(run),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "--model-dir",
            str(bilingual_model_dir),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Served(f"http://127.0.0.1:{port}", proc, run)
    try:
        wait_for(lambda: len(server.workers()) == 2)
        wait_for(lambda: httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)


def test_metrics_add_up_every_worker_and_keep_a_dead_workers_counts(served: Served) -> None:
    metrics_dir = served.run / "metrics"
    assert not (metrics_dir / "counter_999999.db").exists(), "the folder is emptied at start"
    for _ in range(REQUESTS):
        response = httpx.post(
            f"{served.url}/classify", json={"text": TEXT}, headers={"connection": "close"}
        )
        assert response.status_code == 200
    counted = {
        int(m.group(1))
        for p in metrics_dir.iterdir()
        if (m := re.match(r"counter_(\d+)\.db", p.name))
    }
    assert counted == served.workers(), "both workers answered and count in the folder"

    classified = 'framing_http_requests_total{method="POST",route="/classify",status="200"}'
    for _ in range(8):  # whichever worker answers, the totals are the service's
        metrics = served.metrics()
        assert value(metrics, classified) == REQUESTS
        assert value(metrics, "framing_sentences_classified_total ") == 2 * REQUESTS
        info = [line for line in metrics.splitlines() if line.startswith("framing_model_info{")]
        assert sorted(re.search(r'language="(\w+)"', line).group(1) for line in info) == [
            "en",
            "ru",
        ]  # type: ignore[union-attr]
        assert all(line.endswith(" 1.0") for line in info)

    victim = min(served.workers())
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in served.workers() and len(served.workers()) == 2)
    wait_for(lambda: not list(metrics_dir.glob(f"gauge_live*_{victim}.db")))
    for _ in range(4):
        metrics = served.metrics()
        assert value(metrics, classified) == REQUESTS, "a dead worker's counts are kept"
        info = [line for line in metrics.splitlines() if line.startswith("framing_model_info{")]
        assert len(info) == 2 and all(line.endswith(" 1.0") for line in info)

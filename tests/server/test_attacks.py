"""The hardening findings, each tried against a real `framing serve --workers 2` on
loopback: every recipe gets a 4xx or a 200, quickly, and the service stays healthy.

The server runs on tiny models with short timeouts (set below), so the module takes
about a minute. docs/reliability.md gives the figures measured on the real models.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.http import children, free_port, rss_mb
from tests.conftest import TINY, write_tiny_model

pytestmark = pytest.mark.slow
TOKEN = "attack-token"
TIMEOUT = 2.0  # header and body timeouts of the server under test


class Server:
    def __init__(
        self, url: str, port: int, proc: subprocess.Popen[bytes], models: Path, run: Path, log: Path
    ) -> None:
        self.url, self.port, self.proc = url, port, proc
        self.models, self.run, self.log = models, run, log

    def workers(self) -> list[int]:
        """The worker processes, as they report themselves in the run folder."""
        alive = set(children(self.proc.pid))
        return [int(p.name) for p in (self.run / "workers").iterdir() if int(p.name) in alive]

    def healthy(self) -> bool:
        return httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200

    def raw(self, data: bytes, read_timeout: float = 10.0) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            s.sendall(data)
            return _read_all(s)


def _read_all(s: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := s.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def _wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not become ready")


@pytest.fixture(scope="module")
def server(bilingual_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("attack")
    models, run, log = base / "models", base / "run", base / "server.log"
    shutil.copytree(bilingual_model_dir, models)
    port = free_port()
    env = {
        **os.environ,
        "FRAMING_MODEL_DIR": str(models),
        "FRAMING_RUN_DIR": str(run),
        "FRAMING_ADMIN_TOKEN": TOKEN,
        "FRAMING_HEADER_TIMEOUT": str(TIMEOUT),
        "FRAMING_BODY_TIMEOUT": str(TIMEOUT),
        "FRAMING_KEEP_ALIVE_TIMEOUT": str(TIMEOUT),
        "FRAMING_MAX_CONNECTIONS": "200",
        "FRAMING_MAX_QUEUE": "2",
        "FRAMING_LOG_LEVEL": "info",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        yield Server(url, port, proc, models, run, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def post(server: Server, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=60, **kwargs)


def test_1_repeated_abbreviations_cost_linear_time(server: Server) -> None:
    for unit in ("г. Курск ", "А. Иванов ", "ул. Ленина ", "им. Пушкина ", "с. Луговое "):
        text = (unit * 11112)[:100_000]
        seconds, response = timed(lambda t=text: post(server, "/classify", {"text": t}))
        assert response.status_code == 200, response.text
        assert seconds < 10, (unit, seconds)  # 38 s before; ~1 s on the real models
    assert server.healthy()


def test_2_explain_and_sentence_limits(server: Server) -> None:
    seconds, response = timed(
        lambda: post(server, "/classify", {"text": "A\n" * 50_000, "explain": True})
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(":too-many-sentences")
    assert response.json()["errors"][0]["setting"] == "FRAMING_MAX_SENTENCES"
    assert seconds < 5
    one = post(server, "/classify", {"text": "A", "explain": True})
    assert one.status_code == 200 and one.json()["sentences"][0]["labels"] == []


def test_3_validation_work_is_bounded(server: Server) -> None:
    body = b'{"documents": [' + b",".join([b"{}"] * 1_000_000) + b"]}"
    seconds, response = timed(
        lambda: httpx.post(
            f"{server.url}/classify/batch",
            content=body,
            headers={"content-type": "application/json"},
            timeout=60,
        )
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(":too-many-documents")
    assert seconds < 5 and len(response.content) < 2_000
    keys = {f"k{i}": 1 for i in range(111_846)}
    extra = json.dumps({"text": "x", **keys}).encode()[: 1024 * 1024 - 1]
    extra = extra[: extra.rfind(b",")] + b"}"
    with ThreadPoolExecutor(2) as pool:
        attack = pool.submit(
            httpx.post,
            f"{server.url}/classify",
            content=extra,
            headers={"content-type": "application/json"},
            timeout=60,
        )
        time.sleep(0.05)
        health, _ = timed(server.healthy)
        response = attack.result()
    assert response.status_code == 422 and len(response.json()["errors"]) <= 20
    assert health < 2
    assert len(server.workers()) == 2


def test_4_header_and_request_line_limits(server: Server) -> None:
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    assert server.raw(big).startswith(b"HTTP/1.1 431")
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 10_000 + b"\r\n"
    assert server.raw(many).startswith(b"HTTP/1.1 431")
    line = b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = server.raw(line)
    assert answer.startswith(b"HTTP/1.1 414")
    assert b"application/problem+json" in answer and b"content-security-policy" in answer


def test_4_and_7_a_header_streamed_slowly_is_cut_off(server: Server) -> None:
    before = sum(rss_mb(pid) for pid in server.workers())
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        try:
            while time.monotonic() - started < 3 * TIMEOUT:
                s.sendall(b"a" * 1000)
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_all(s)
    assert answer == b"" or answer.startswith((b"HTTP/1.1 408", b"HTTP/1.1 431"))
    assert time.monotonic() - started < 3 * TIMEOUT + 2
    after = sum(rss_mb(pid) for pid in server.workers())
    assert after - before < 30
    assert server.healthy()


def test_7_timeouts_close_idle_and_stalled_connections(server: Server) -> None:
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stalled.sendall(
        b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"text": '
    )
    started = time.monotonic()
    for s in (idle, stalled):
        answer = _read_all(s)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:80]
        s.close()
    assert time.monotonic() - started < 2 * TIMEOUT + 3
    # Many held-open sockets do not shut new clients out.
    held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(150)]
    try:
        assert server.healthy()
    finally:
        for s in held:
            s.close()


def test_8_load_is_shed_and_small_requests_do_not_wait(server: Server) -> None:
    large = {"text": ("Officials blamed the storm. " * 3_500)[:99_000]}
    with ThreadPoolExecutor(16) as pool:
        jobs = [pool.submit(post, server, "/classify", large) for _ in range(16)]
        time.sleep(0.3)
        small, response = timed(lambda: post(server, "/classify", {"text": "Rain fell."}))
        statuses = sorted(job.result().status_code for job in jobs)
    assert response.status_code == 200
    assert small < 2, small
    assert 503 in statuses and set(statuses) <= {200, 503}
    shed = next(j.result() for j in jobs if j.result().status_code == 503)
    assert shed.headers["retry-after"] == "1"
    assert shed.json()["type"].endswith(":overloaded")


def test_9_memory_stays_bounded_under_random_text(server: Server) -> None:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщ"

    def send() -> None:
        text = "".join(rng.choices(letters, k=60_000))
        post(server, "/classify", {"text": text, "language": "en"})

    for _ in range(10):
        send()
    before = {pid: rss_mb(pid) for pid in server.workers()}
    for _ in range(80):
        send()
    after = {pid: rss_mb(pid) for pid in server.workers()}
    growth = {pid: after[pid] - before.get(pid, after[pid]) for pid in after}
    assert all(g < 30 for g in growth.values()), growth


def test_11_and_12_protocol_odds_and_ends(server: Server) -> None:
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(16)) + b"0\r\n\r\n"
    for path in (b"/", b"/static/app.js"):
        request = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        answer = server.raw(request + body)
        assert answer[:12] in (b"HTTP/1.1 200", b"HTTP/1.1 413"), answer[:80]
    for path in ("/", "/healthz"):
        head = httpx.head(f"{server.url}{path}")
        assert head.status_code == 200 and head.content == b""
    assert "server" not in httpx.get(f"{server.url}/healthz").headers
    bad = server.raw(b"GARBAGE\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400") and b"application/problem+json" in bad
    text = "The ministry denied it. Rain fell."
    response = httpx.post(
        f"{server.url}/classify",
        content=b"\xef\xbb\xbf" + text.encode(),
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert [text[s["start"] : s["end"]] for s in response.json()["sentences"]] == [
        "The ministry denied it.",
        "Rain fell.",
    ]
    log = server.log.read_text(encoding="utf-8")
    assert '"level": "error"' not in log and "Traceback" not in log


def test_5_and_6_one_model_across_workers_and_a_bad_file_stops_nothing(server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    old = httpx.get(f"{server.url}/readyz").json()["model_version"]
    # A corrupt model on disk is refused, and changes nothing ...
    saved = (server.models / "en" / "model.npz").read_bytes()
    (server.models / "en" / "model.npz").write_bytes(saved + b"corrupt")
    refused = httpx.post(f"{server.url}/admin/reload", headers=auth, timeout=60)
    assert refused.status_code == 409 and refused.json()["errors"][0]["type"] == "hash-mismatch"
    # ... and a worker killed meanwhile comes back serving the staged models.
    os.kill(server.workers()[0], signal.SIGKILL)
    time.sleep(1)
    _wait_ready(server.url)
    deadline = time.monotonic() + 30
    while len(server.workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    versions = {httpx.get(f"{server.url}/readyz").json()["model_version"] for _ in range(40)}
    assert versions == {old}
    # A new model: once the reload answers, every worker serves it.
    (server.models / "en" / "model.npz").write_bytes(saved)
    write_tiny_model(
        server.models / "en", [*TINY, ("Editors were told to blame exiles.", ["blame_attribution"])]
    )
    reloaded = httpx.post(f"{server.url}/admin/reload", headers=auth, timeout=60)
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["workers"] == 2
    new = reloaded.json()["current"]
    versions = {httpx.get(f"{server.url}/readyz").json()["model_version"] for _ in range(60)}
    assert versions == {new} != {old}
    # SIGHUP to the supervisor stages what is on disk, for every worker, too.
    write_tiny_model(server.models / "en")
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        versions = {httpx.get(f"{server.url}/readyz").json()["model_version"] for _ in range(20)}
        if new not in versions and len(versions) == 1:
            break
        time.sleep(0.2)
    assert new not in versions and len(versions) == 1


def test_8_a_client_that_leaves_frees_its_place(server: Server) -> None:
    large = {"text": "Officials blamed the storm. " * 1_500, "explain": True}

    def leave() -> None:
        with contextlib.suppress(httpx.TimeoutException):
            httpx.post(f"{server.url}/classify", json=large, timeout=0.2)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: leave(), range(8)))
    time.sleep(1.5)  # the abandoned jobs stop at their next stage
    statuses = [post(server, "/classify", large).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    records = [json.loads(line) for line in server.log.read_text().splitlines() if "{" in line]
    left = [r for r in records if r.get("status") == 499 and r.get("route") == "/classify"]
    assert left, "no request was ended as 'client closed request' (499)"

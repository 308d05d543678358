"""Corrections storage: writes per second and recovery after a kill, SQLite and PostgreSQL.

    python -m benchmarks.feedback [--writes 400] [--json docs/feedback-bench.json]

Both databases as the service runs them: SQLite in WAL mode with synchronous=FULL, a
file on this machine's disk; PostgreSQL 15 from Debian's package, a throwaway server
(benchmarks/pgserver.py) with fsync and synchronous_commit on, on loopback. Measured:

- writes/s, one writer: `FeedbackStore.save` one correction at a time, each its own
  committed transaction (what POST /feedback does);
- writes/s, four writer processes at once, each committing one at a time;
- writes/s over HTTP: POST /feedback from four concurrent clients to one uvicorn worker
  (the models are tiny, so this is the route and the store, not classification);
- recovery after a kill: a writer process SIGKILLed mid-write, then the seconds to open
  the store again (SQLite: its file check, `PRAGMA quick_check`, and the schema),
  count and verify every row; for PostgreSQL also the server SIGKILLed mid-write and the
  seconds until it accepts connections again (its WAL replay). Each kill checks that
  every acknowledged correction is there.

The figures go to stdout as a Markdown table (docs/feedback.md holds the last run's).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.feedback.store import open_store
from benchmarks.feedback_writer import correction
from benchmarks.http import start_uvicorn
from benchmarks.pgserver import PgServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789"


def one_writer(url: str, n: int) -> float:
    store = open_store(url, pool_size=1)
    started = time.perf_counter()
    for i in range(n):
        store.save(correction("single", i, 200))
    elapsed = time.perf_counter() - started
    store.close()
    return n / elapsed


def writer_process(url: str, prefix: str, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.feedback_writer", url, prefix, str(n), "--size", "200"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def four_writers(url: str, n: int) -> float:
    procs = [writer_process(url, f"multi{k}", n) for k in range(4)]
    for proc in procs:  # each prints "ready" once its store is open
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError("a writer failed")
    return 4 * n / (time.perf_counter() - started)


def over_http(env: dict[str, str], n: int) -> float:
    import httpx

    proc, url = start_uvicorn(env)
    try:
        errors: list[int] = []

        def post(k: int) -> None:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                for i in range(n):
                    c = correction(f"http{k}", i, 200)
                    r = http.post(
                        "/feedback",
                        json={
                            "text": c.text,
                            "labels": list(c.labels),
                            "language": "en",
                            "source": c.source,
                            "document_id": c.document_id,
                            "model_version": "bench",
                        },
                    )
                    if r.status_code != 201:
                        errors.append(r.status_code)

        threads = [threading.Thread(target=post, args=(k,)) for k in range(4)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise RuntimeError(f"{len(errors)} posts failed: {errors[:5]}")
        return 4 * n / elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def kill_writer(url: str, prefix: str, after: int) -> tuple[dict[int, int], float, int]:
    """SIGKILL a writer after `after` acknowledgements; (acks, seconds to recover, rows)."""
    proc = writer_process(url, prefix, 1_000_000)
    assert proc.stdout is not None
    acks: dict[int, int] = {}
    for line in proc.stdout:
        parts = line.split()
        if parts[0] == "ok":
            acks[int(parts[1])] = int(parts[2])
            if len(acks) == after:
                proc.send_signal(signal.SIGKILL)
                break
    for line in proc.stdout.readlines():
        parts = line.split()
        if parts and parts[0] == "ok":
            acks[int(parts[1])] = int(parts[2])
    proc.wait()
    seconds, rows = recover(url, prefix, acks)
    return acks, seconds, rows


def recover(url: str, prefix: str, acks: dict[int, int]) -> tuple[float, int]:
    started = time.perf_counter()
    store = open_store(url)
    rows = {r.id: r for r in store.corrections()}
    damaged = store.check()
    seconds = time.perf_counter() - started
    store.close()
    lost = [
        i for i in acks if i not in rows or rows[i].text != correction(prefix, acks[i], 200).text
    ]
    if lost or damaged:
        raise RuntimeError(f"lost {len(lost)} acknowledged corrections, {len(damaged)} damaged")
    return seconds, len(rows)


def timed(what: str, run: Callable[[], Any]) -> Any:
    print(f"  {what} ...", file=sys.stderr, flush=True)
    return run()


def measure(
    kind: str, url: str, env: dict[str, str], writes: int, kill_after: int, server: PgServer | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"database": kind}
    out["writes_per_s_one_writer"] = timed("one writer", lambda: one_writer(url, writes))
    out["writes_per_s_four_processes"] = timed(
        "four writers", lambda: four_writers(url, writes // 2)
    )
    out["writes_per_s_http_four_clients"] = timed("HTTP", lambda: over_http(env, writes // 4))
    acks, seconds, rows = timed("writer killed", lambda: kill_writer(url, "killed", kill_after))
    out["writer_killed"] = {"acknowledged": len(acks), "rows": rows, "recovery_s": seconds}
    if server is not None:
        proc = writer_process(url, "crash", 1_000_000)
        assert proc.stdout is not None
        crash_acks: dict[int, int] = {}
        for line in proc.stdout:
            parts = line.split()
            if parts[0] == "ok":
                crash_acks[int(parts[1])] = int(parts[2])
                if len(crash_acks) == kill_after:
                    server.kill()
                    break
        for line in proc.stdout.readlines():
            parts = line.split()
            if parts and parts[0] == "ok":
                crash_acks[int(parts[1])] = int(parts[2])
        proc.wait()
        restart = server.start(fsync=True)
        seconds, rows = recover(url, "crash", crash_acks)
        out["server_killed"] = {
            "acknowledged": len(crash_acks),
            "restart_s": restart,
            "recovery_s": seconds,
            "rows": rows,
        }
    return out


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | writes/s, one writer | writes/s, 4 processes | writes/s, HTTP, 4 clients "
        "| writer SIGKILLed: acknowledged / lost / reopen and verify | server SIGKILLed: "
        "restart, then reopen and verify |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        w = r["writer_killed"]
        s = r.get("server_killed")
        server = "n/a (no server)"
        if s:
            server = f"{s['restart_s']:.2f} s + {s['recovery_s']:.2f} s "
            server += f"({s['acknowledged']} acknowledged, 0 lost)"
        lines.append(
            f"| {r['database']} | {r['writes_per_s_one_writer']:.0f} | "
            f"{r['writes_per_s_four_processes']:.0f} | {r['writes_per_s_http_four_clients']:.0f} | "
            f"{w['acknowledged']} / 0 / {w['recovery_s']:.2f} s for {w['rows']} rows | {server} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.feedback")
    p.add_argument("--writes", type=int, default=400, help="corrections per measurement")
    p.add_argument("--kill-after", type=int, default=300, help="acknowledged writes before a kill")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    from tests.conftest import TINY_RU, write_tiny_model

    results = []
    with tempfile.TemporaryDirectory(prefix="framing-bench-") as tmp:
        models = Path(tmp) / "models"
        write_tiny_model(models / "en")
        write_tiny_model(models / "ru", TINY_RU, language="ru")
        base = {
            "FRAMING_MODEL_DIR": str(models),
            "FRAMING_ANNOTATOR_TOKENS": json.dumps({"bench": TOKEN}),
        }
        sqlite = Path(tmp) / "data" / "feedback.sqlite3"
        print("SQLite", file=sys.stderr)
        results.append(
            measure(
                "SQLite (WAL, synchronous=FULL)",
                str(sqlite),
                {**base, "FRAMING_DATA_DIR": str(sqlite.parent)},
                args.writes,
                args.kill_after,
                None,
            )
        )
        print("PostgreSQL", file=sys.stderr)
        with PgServer.start_new(fsync=True) as pg:
            url = pg.create_database("bench")
            results.append(
                measure(
                    "PostgreSQL (fsync on)",
                    url,
                    {**base, "FRAMING_FEEDBACK_DATABASE_URL": url},
                    args.writes,
                    args.kill_after,
                    pg,
                )
            )
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

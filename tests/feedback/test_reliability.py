"""What happens to corrections when things go wrong, on both databases: a writer killed
mid-write, a PostgreSQL server killed mid-write, a full disk (a file-size limit set with
setrlimit in the writing process, or in the server's), and a damaged database file. In
each case every acknowledged correction is there, whole, and the error says what
happened: a StorageError's reason, a problem document's type, one line from the CLI."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main as framing
from app.feedback.store import StorageCorrupt, open_store
from benchmarks.feedback_writer import correction
from benchmarks.pgserver import NoPostgres, PgServer
from tests.feedback.conftest import no_postgres

ROOT = Path(__file__).resolve().parents[2]


def start_writer(
    url: str, prefix: str, count: int, size: int = 0, fsize: int | None = None
) -> subprocess.Popen[str]:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.feedback_writer",
            url,
            prefix,
            str(count),
            "--size",
            str(size),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=limit,
    )


def acknowledged(lines: list[str]) -> dict[int, int]:
    """id -> index of every correction the writer saw committed."""
    return {int(p[1]): int(p[2]) for p in (line.split() for line in lines) if p[0] == "ok"}


def kill_after(proc: subprocess.Popen[str], acks: int) -> list[str]:
    """Read until `acks` corrections are acknowledged, SIGKILL the writer mid-stream, and
    return every line it printed."""
    assert proc.stdout is not None
    lines = []
    seen = 0
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("ok"):
            seen += 1
            if seen == acks:
                proc.send_signal(signal.SIGKILL)
                break
    lines += proc.stdout.readlines()
    proc.wait(timeout=30)
    return lines


def assert_all_there(url: str, acks: dict[int, int], prefix: str, size: int = 0) -> int:
    """Every acknowledged correction is stored whole; no row is damaged. The row count."""
    store = open_store(url)
    rows = {r.id: r for r in store.corrections()}
    for row_id, index in acks.items():
        expected = correction(prefix, index, size)
        row = rows[row_id]
        assert (row.text, row.labels, row.source, row.document_id) == (
            expected.text,
            expected.labels,
            expected.source,
            expected.document_id,
        )
    assert store.check() == []
    count = store.count()
    store.close()
    return count


def sqlite_integrity(path: str) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


# ---------------------------------------------------------------- a writer killed


def test_a_writer_killed_mid_write_loses_nothing_acknowledged(store_url: str) -> None:
    open_store(store_url).close()
    total: dict[int, int] = {}
    for round_ in range(3):
        prefix = f"kill{round_}"
        lines = kill_after(start_writer(store_url, prefix, 100_000), 40 + 17 * round_)
        acks = acknowledged(lines)
        assert len(acks) >= 40 + 17 * round_
        count = assert_all_there(store_url, acks, prefix)
        total.update(acks)
        # At most the one correction in flight was committed without its answer.
        assert len(total) <= count <= len(total) + round_ + 1
    if not store_url.startswith("postgresql"):
        assert sqlite_integrity(store_url) == "ok"


@pytest.fixture
def private_postgres() -> PgServer:
    """A PostgreSQL server of this test's own, to kill or fill."""
    try:
        with PgServer.start_new(fsync=False, wal_segment_mb=1) as server:
            yield server  # type: ignore[misc]
    except NoPostgres as exc:
        no_postgres(str(exc))


def test_a_postgres_server_killed_mid_write_loses_nothing_acknowledged(
    private_postgres: PgServer,
) -> None:
    url = private_postgres.create_database("crash")
    open_store(url).close()
    proc = start_writer(url, "crash", 100_000)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if len(acknowledged(lines)) == 60:
            private_postgres.kill()
            break
    lines += proc.stdout.readlines()
    proc.wait(timeout=60)
    assert proc.returncode == 3
    assert lines[-1].startswith("error unavailable")
    private_postgres.start(fsync=False)
    acks = acknowledged(lines)
    count = assert_all_there(url, acks, "crash")
    assert len(acks) <= count <= len(acks) + 1


# ---------------------------------------------------------------- a full disk


def test_sqlite_on_a_full_disk_stores_nothing_half_and_says_so(tmp_path: Path) -> None:
    url = str(tmp_path / "feedback.sqlite3")
    open_store(url).close()
    proc = start_writer(url, "full", 100_000, size=3000, fsize=1024 * 1024)
    out, _ = proc.communicate(timeout=120)
    lines = out.splitlines()
    assert proc.returncode == 3, lines[-3:]
    assert lines[-1].startswith("error full ")
    acks = acknowledged(lines)
    assert 10 < len(acks) < 400
    assert assert_all_there(url, acks, "full", 3000) == len(acks)
    assert sqlite_integrity(url) == "ok"
    # With room again, writing goes on.
    store = open_store(url)
    store.save(correction("after", 0))
    assert store.count() == len(acks) + 1
    store.close()


def test_postgres_on_a_full_disk_stores_nothing_half_and_says_so() -> None:
    try:
        server_cm = PgServer.start_new(fsync=False, wal_segment_mb=1, fsize=6 * 1024 * 1024)
        server = server_cm.__enter__()
    except NoPostgres as exc:
        no_postgres(str(exc))
        return
    try:
        url = server.create_database("full")
        open_store(url).close()
        proc = start_writer(url, "full", 100_000, size=4000)
        out, _ = proc.communicate(timeout=300)
        lines = out.splitlines()
        assert proc.returncode == 3, lines[-3:]
        assert lines[-1].startswith("error full "), lines[-1]
        acks = acknowledged(lines)
        assert len(acks) > 10
        assert server.proc is not None and server.proc.poll() is None, "the server survived"
        assert assert_all_there(url, acks, "full", 4000) == len(acks)
    finally:
        server_cm.__exit__(None, None, None)


# ---------------------------------------------------------------- a damaged file


def test_a_damaged_sqlite_file_is_refused_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = tmp_path / "feedback.sqlite3"
    store = open_store(url)
    for i in range(300):
        store.save(correction("c", i, 500))
    store.close()
    size = url.stat().st_size
    assert size > 16 * 4096
    with url.open("r+b") as f:  # a page in the middle of the table, overwritten
        f.seek(8 * 4096)
        f.write(os.urandom(4096))
    with pytest.raises(StorageCorrupt) as info:
        open_store(url)
    assert info.value.reason == "corrupt"
    code = framing(["feedback", "export", "--database", str(url)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "damaged" in err
    assert "Traceback" not in err

    header = tmp_path / "header.sqlite3"
    open_store(header).close()
    with header.open("r+b") as f:
        f.write(b"not a database file at all" * 4)
    with pytest.raises(StorageCorrupt):
        open_store(header)


def test_a_damaged_postgres_table_is_refused_with_a_clear_error(
    private_postgres: PgServer,
) -> None:
    import psycopg

    url = private_postgres.create_database("damaged")
    store = open_store(url)
    for i in range(50):
        store.save(correction("c", i, 200))
    store.close()
    with psycopg.connect(url) as conn:
        relation = conn.execute("SELECT pg_relation_filepath('corrections')").fetchone()
    assert relation is not None
    private_postgres.stop()
    with (private_postgres.data / relation[0]).open("r+b") as f:
        f.write(os.urandom(8192))
    private_postgres.start(fsync=False)
    store = open_store(url)
    with pytest.raises(StorageCorrupt) as info:
        list(store.corrections())
    assert info.value.reason == "corrupt"
    store.close()

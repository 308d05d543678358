"""Stores to test against: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is Debian's package (`apt-get install postgresql`; `.ci/run` installs it): a
throwaway server is started once per test session (benchmarks/pgserver.py) and each test
gets a new database in it. The server runs with fsync off: these tests kill processes,
not the machine, and what a killed server wrote stays in the system's cache (the
benchmark runs with fsync on). Outside CI the PostgreSQL cases skip when the package is
missing; in CI they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.feedback.store import FeedbackStore, open_store
from benchmarks.pgserver import NoPostgres, PgServer

BACKENDS = ["sqlite", "postgresql"]


def no_postgres(reason: str) -> None:
    if os.environ.get("CI"):
        raise RuntimeError(f"CI needs PostgreSQL for the storage tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    try:
        with PgServer.start_new(fsync=False) as server:
            yield server
    except NoPostgres as exc:
        no_postgres(str(exc))


def database_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(tmp_path / "data" / "feedback.sqlite3")
    server: PgServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database of each kind: a SQLite file, or a PostgreSQL database."""
    return database_url(request.param, tmp_path, request)


@pytest.fixture
def store(store_url: str) -> Iterator[FeedbackStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()

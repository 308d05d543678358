"""A throwaway PostgreSQL server from Debian's package, for the tests and the benchmark.

`initdb` into a temporary folder, `postgres` on a free loopback port with trust
authentication, stopped and removed at the end. Run as root (as CI is), the server runs
as the `postgres` user the package creates, since PostgreSQL refuses to run as root.

    with PgServer.start_new() as pg:
        url = pg.create_database("t1")
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import resource
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.http import free_port


class NoPostgres(RuntimeError):
    """PostgreSQL's server programs are not installed (apt-get install postgresql)."""


def bin_dir() -> Path:
    """The folder of initdb and postgres: on the PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if not versions:
        raise NoPostgres("PostgreSQL is not installed: apt-get install postgresql")
    return Path(versions[-1]).parent


def _as_owner(uid: int | None, gid: int | None, fsize: int | None) -> Callable[[], None] | None:
    if uid is None and fsize is None:
        return None

    def become() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if gid is not None and uid is not None:
            os.setgid(gid)
            os.setuid(uid)

    return become


class PgServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1:port."""

    def __init__(self, root: Path, wal_segment_mb: int | None = None) -> None:
        self.bin = bin_dir()
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / "server.log"
        self.fsize: int | None = None
        self.fsync = True
        self.uid: int | None = None
        self.gid: int | None = None
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise NoPostgres(
                    "running as root needs the postgres user (apt-get install postgresql)"
                ) from None
            self.uid, self.gid = user.pw_uid, user.pw_gid
            os.chown(root, self.uid, self.gid)
        args = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "framing", "--auth=trust"]
        args += ["-E", "UTF8", "--locale=C", "--no-sync"]
        if wal_segment_mb is not None:
            args.append(f"--wal-segsize={wal_segment_mb}")
        self._run(args)

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(
            args,
            capture_output=True,
            preexec_fn=_as_owner(self.uid, self.gid, None),
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    @classmethod
    @contextlib.contextmanager
    def start_new(cls, **options: Any) -> Iterator[PgServer]:
        root = Path(tempfile.mkdtemp(prefix="framing-pg-"))
        os.chmod(root, 0o755)
        server = None
        try:
            server = cls(root, **{k: v for k, v in options.items() if k == "wal_segment_mb"})
            server.start(fsize=options.get("fsize"), fsync=options.get("fsync", True))
            yield server
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(root, ignore_errors=True)

    def start(self, fsize: int | None = None, fsync: bool = True, timeout: float = 60.0) -> float:
        """Start the server; the seconds until it accepted connections. fsync=False is
        for tests that crash processes, not the machine: what the server wrote is then in
        the operating system's cache, which a killed process does not lose."""
        self.fsize = fsize
        self.fsync = fsync
        started = time.perf_counter()
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "max_connections=60",
                "-c",
                f"fsync={'on' if fsync else 'off'}",
                "-c",
                "synchronous_commit=on",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_as_owner(self.uid, self.gid, fsize),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"postgres exited: {self.log.read_text(errors='replace')[-2000:]}"
                )
            if self.ready():
                return time.perf_counter() - started
            time.sleep(0.05)
        raise RuntimeError("postgres did not accept connections in time")

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str) -> str:
        return f"postgresql://framing@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would (its backends stop on their own)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        # Backends notice the postmaster's death; wait until the data folder is free.
        pid_file = self.data / "postmaster.pid"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _backends_alive(self.data):
            time.sleep(0.05)
        pid_file.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def _backends_alive(data: Path) -> bool:
    """Whether any process still works in the data folder (postgres chdirs into it)."""
    target = str(data)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "cwd") == target:
                return True
        except OSError:
            continue
    return False

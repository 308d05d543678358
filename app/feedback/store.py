"""Where corrections are kept: one interface, two databases.

- **SQLite** (the default): one file, `FRAMING_DATA_DIR/feedback.sqlite3`, in WAL mode
  with `synchronous=FULL`, so a correction acknowledged is on disk, and a process killed
  mid-write leaves the last committed state. Python's own `sqlite3` module: nothing to
  install, and several worker processes may write to one file.
- **PostgreSQL**, given a URL (`FRAMING_FEEDBACK_DATABASE_URL=postgresql://...`), through
  psycopg 3 (the `postgres` extra): for several machines, or for backups by the DBA's
  tools.

Both run the same SQL (`INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING`), and each
write is one transaction. The schema is versioned (`framing_schema`): opening a store
applies the migrations it lacks, each in a transaction, and refuses a database written by
a newer version. Every row carries a checksum of its content (`check()` verifies them).

Errors reach callers as `StorageError`s whose `reason` says what to do: "full" (the disk
or a size limit), "corrupt" (the file or a page is damaged), "busy" (locked for too long:
retry), "unavailable" (cannot connect or open), "schema" (a newer database).
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.feedback.records import Correction, NewCorrection, checksum, now, sentence_key

DATABASE_FILE = "feedback.sqlite3"
COLUMNS = (
    "id",
    "annotator",
    "text",
    "labels",
    "language",
    "model_version",
    "source",
    "document_id",
    "sentence_key",
    "created",
    "updated",
    "revision",
    "checksum",
)
BUSY_SECONDS = 30.0  # how long a writer waits for another's lock before giving up


class StorageError(RuntimeError):
    """The store cannot do what was asked; `reason` is one of full, corrupt, busy,
    unavailable, schema. The message names the database and what to do, never a record."""

    reason = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class StorageFull(StorageError):
    reason = "full"


class StorageCorrupt(StorageError):
    reason = "corrupt"


class StorageBusy(StorageError):
    reason = "busy"


class StorageUnavailable(StorageError):
    reason = "unavailable"


class SchemaError(StorageError):
    reason = "schema"


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]


_TABLE = """CREATE TABLE corrections (
  id {id},
  annotator TEXT NOT NULL,
  text TEXT NOT NULL,
  labels TEXT NOT NULL,
  language TEXT NOT NULL,
  model_version TEXT NOT NULL,
  source TEXT,
  document_id TEXT,
  sentence_key TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  revision INTEGER NOT NULL DEFAULT 1,
  checksum TEXT NOT NULL,
  UNIQUE (sentence_key, annotator)
)"""
_INDEX = "CREATE INDEX corrections_language ON corrections (language, id)"

MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "the corrections table: one row per sentence and annotator",
        (_TABLE.format(id="INTEGER PRIMARY KEY AUTOINCREMENT"), _INDEX),
        (_TABLE.format(id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"), _INDEX),
    ),
]

_UPSERT = f"""INSERT INTO corrections ({", ".join(COLUMNS[1:])})
VALUES ({", ".join("?" for _ in COLUMNS[1:])})
ON CONFLICT (sentence_key, annotator) DO UPDATE SET
  text = excluded.text, labels = excluded.labels, language = excluded.language,
  model_version = excluded.model_version, source = excluded.source,
  document_id = excluded.document_id, updated = excluded.updated,
  revision = corrections.revision + 1, checksum = excluded.checksum
RETURNING {", ".join(COLUMNS)}"""
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM corrections"


def _row(values: Any) -> Correction:
    fields = dict(zip(COLUMNS, values, strict=True))
    fields["labels"] = tuple(json.loads(fields["labels"]))
    return Correction(**fields)


class _Pool:
    """A few open connections, each used by one thread at a time. A connection that saw
    an error is closed, not reused."""

    def __init__(self, connect: Callable[[], Any], size: int, close: Callable[[Any], None]) -> None:
        self._connect = connect
        self._close = close
        self._free: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._open: set[int] = set()
        self._lock = threading.Lock()
        self._all: list[Any] = []

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if not self._slots.acquire(timeout=BUSY_SECONDS):
            raise StorageBusy("every database connection stayed busy; retry shortly")
        conn = None
        try:
            try:
                conn = self._free.get_nowait()
            except queue.Empty:
                conn = self._connect()
                with self._lock:
                    self._all.append(conn)
            yield conn
        except BaseException:
            if conn is not None:
                self._discard(conn)
                conn = None
            raise
        finally:
            if conn is not None:
                self._free.put(conn)
            self._slots.release()

    def _discard(self, conn: Any) -> None:
        with self._lock, suppress(ValueError):
            self._all.remove(conn)
        with suppress(Exception):
            self._close(conn)

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with suppress(Exception):
                self._close(conn)


class FeedbackStore(ABC):
    """Corrections kept in a database. Methods are blocking: call them from a thread."""

    kind = ""
    placeholder = "?"

    def __init__(self, where: str, pool_size: int) -> None:
        self.where = where  # for messages: a file, or a URL without its password
        self._pool = _Pool(self._connect, pool_size, lambda c: c.close())

    # -- what each database does its own way

    @abstractmethod
    def _connect(self) -> Any: ...

    @abstractmethod
    def _translate(self, exc: Exception) -> StorageError | None:
        """The StorageError an exception of the driver stands for (None: not the driver's)."""

    @abstractmethod
    @contextmanager
    def _write(self, conn: Any) -> Iterator[Any]:
        """A cursor in a write transaction, committed when the block ends."""

    @abstractmethod
    @contextmanager
    def _read(self, conn: Any) -> Iterator[Any]:
        """A cursor in a read transaction (one snapshot)."""

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc

    # -- the schema

    def schema_version(self) -> int:
        with self._errors(), self._pool.connection() as conn, self._read(conn) as cur:
            return self._version(cur)

    def _version(self, cur: Any) -> int:
        cur.execute(self._schema_table_query)
        if cur.fetchone()[0] == 0:
            return 0
        cur.execute("SELECT version FROM framing_schema")
        row = cur.fetchone()
        return int(row[0]) if row else 0

    _schema_table_query = ""

    def _lock_schema(self, cur: Any) -> None:
        """Keep other processes from migrating at the same time. SQLite's BEGIN IMMEDIATE
        already does; PostgreSQL takes an advisory lock."""
        return None

    def migrate(self, upto: int | None = None) -> int:
        """Apply the migrations the database lacks, each in one transaction; its version."""
        latest = MIGRATIONS[-1].version
        target = latest if upto is None else upto
        with self._errors(), self._pool.connection() as conn:
            with self._write(conn) as cur:
                self._lock_schema(cur)
                cur.execute("CREATE TABLE IF NOT EXISTS framing_schema (version INTEGER NOT NULL)")
                cur.execute("SELECT version FROM framing_schema")
                row = cur.fetchone()
                if row is None:
                    cur.execute("INSERT INTO framing_schema (version) VALUES (0)")
                    version = 0
                else:
                    version = int(row[0])
            if version > latest:
                raise SchemaError(
                    f"the feedback database {self.where} has schema version {version}, newer "
                    f"than this version of the service knows ({latest}): upgrade the service, "
                    "or point it at another database"
                )
            for migration in MIGRATIONS:
                if version < migration.version <= target:
                    with self._write(conn) as cur:
                        self._lock_schema(cur)
                        cur.execute("SELECT version FROM framing_schema")
                        if int(cur.fetchone()[0]) >= migration.version:
                            continue  # another process got there first
                        statements = getattr(migration, self.kind)
                        for statement in statements:
                            cur.execute(statement)
                        cur.execute(
                            self._sql("UPDATE framing_schema SET version = ?"),
                            (migration.version,),
                        )
                    version = migration.version
        return version

    # -- corrections

    def save(self, new: NewCorrection) -> Correction:
        """Store a correction; the same sentence by the same annotator replaces the old one.
        Returns the record as stored, after the transaction committed."""
        updated = now()
        fields: dict[str, Any] = {
            "annotator": new.annotator,
            "text": new.text,
            "labels": list(new.labels),
            "language": new.language,
            "model_version": new.model_version,
            "source": new.source,
            "document_id": new.document_id,
            "sentence_key": sentence_key(new.text),
            "created": updated,
            "updated": updated,
            "revision": 1,
        }
        fields["checksum"] = checksum(fields)
        fields["labels"] = json.dumps(fields["labels"], ensure_ascii=False)
        values = tuple(fields[c] for c in COLUMNS[1:])
        with self._errors(), self._pool.connection() as conn, self._write(conn) as cur:
            cur.execute(self._sql(_UPSERT), values)
            return _row(cur.fetchone())

    def corrections(
        self, language: str | None = None, annotator: str | None = None
    ) -> Iterator[Correction]:
        """Every correction, oldest first, read from one snapshot as the caller iterates."""
        where, params = [], []
        if language is not None:
            where.append("language = ?")
            params.append(language)
        if annotator is not None:
            where.append("annotator = ?")
            params.append(annotator)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        with self._errors(), self._pool.connection() as conn, self._read(conn) as cur:
            cur.execute(self._sql(sql), tuple(params))
            while True:
                rows = cur.fetchmany(500)
                if not rows:
                    return
                for values in rows:
                    yield _row(values)

    def count(self, annotator: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM corrections" + (" WHERE annotator = ?" if annotator else "")
        with self._errors(), self._pool.connection() as conn, self._read(conn) as cur:
            cur.execute(self._sql(sql), (annotator,) if annotator else ())
            return int(cur.fetchone()[0])

    def corrected(self, annotator: str, keys: list[str]) -> set[str]:
        """Which of these sentence keys the annotator has already corrected."""
        found: set[str] = set()
        with self._errors(), self._pool.connection() as conn, self._read(conn) as cur:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                cur.execute(
                    self._sql(
                        "SELECT sentence_key FROM corrections WHERE annotator = ? AND "
                        f"sentence_key IN ({', '.join('?' for _ in part)})"
                    ),
                    (annotator, *part),
                )
                found.update(row[0] for row in cur.fetchall())
        return found

    def check(self) -> list[int]:
        """The ids of rows whose content does not match their checksum (none, normally)."""
        return [c.id for c in self.corrections() if not c.intact()]

    def close(self) -> None:
        self._pool.close()


# ---------------------------------------------------------------- SQLite


_SQLITE_FULL = {"SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE"}


class SqliteStore(FeedbackStore):
    kind = "sqlite"

    def __init__(self, path: Path, pool_size: int = 4) -> None:
        self.path = path
        super().__init__(str(path), pool_size)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(
                f"cannot make the folder {self.path.parent} for the feedback database: "
                f"{exc.strerror}; set FRAMING_DATA_DIR to a writable folder"
            ) from None
        conn = sqlite3.connect(
            self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StorageUnavailable(f"{self.path} cannot be put in WAL mode ({mode})")
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _translate(self, exc: Exception) -> StorageError | None:
        if not isinstance(exc, sqlite3.Error):
            return None
        name = getattr(exc, "sqlite_errorname", "")
        where = self.where
        if name in _SQLITE_FULL:
            return StorageFull(
                f"the feedback database {where} could not be written ({name}): the disk is "
                "full or a file-size limit was reached; nothing was stored. Free space and retry"
            )
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return StorageCorrupt(
                f"the feedback database {where} is damaged ({name}: {exc}). Stop the service, "
                "keep a copy of the file, and restore the last backup (or recover what can be "
                f"read with: sqlite3 {where} .recover)"
            )
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return StorageBusy(f"the feedback database {where} stayed locked; retry shortly")
        return StorageUnavailable(f"the feedback database {where} cannot be used: {exc}")

    _schema_table_query = (
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'framing_schema'"
    )

    @contextmanager
    def _write(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    @contextmanager
    def _read(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
        cur = conn.cursor()
        cur.execute("BEGIN")
        try:
            yield cur
        finally:
            with suppress(sqlite3.Error):
                cur.execute("COMMIT")
            cur.close()

    def verify_file(self) -> None:
        """Raise StorageCorrupt when SQLite's own check of the file finds damage."""
        with self._errors(), self._pool.connection() as conn:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise StorageCorrupt(
                f"the feedback database {self.where} is damaged ({problems[0]}). Stop the "
                "service, keep a copy of the file, and restore the last backup (or recover "
                f"what can be read with: sqlite3 {self.where} .recover)"
            )


# ---------------------------------------------------------------- PostgreSQL


def redact(url: str) -> str:
    """A database URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))


class PostgresStore(FeedbackStore):
    kind = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str, pool_size: int = 4) -> None:
        try:
            import psycopg
        except ImportError:
            raise StorageUnavailable(
                "a PostgreSQL URL needs psycopg: pip install 'framing[postgres]'"
            ) from None
        self._psycopg = psycopg
        self.url = url
        super().__init__(redact(url), pool_size)

    def _connect(self) -> Any:
        try:
            return self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageUnavailable(
                f"cannot connect to the feedback database {self.where}: {first}"
            ) from None

    def _translate(self, exc: Exception) -> StorageError | None:
        psycopg = self._psycopg
        if not isinstance(exc, psycopg.Error):
            return None
        state = exc.sqlstate or ""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = self.where
        if state.startswith("53") or (state == "XX000" and "could not extend file" in first):
            return StorageFull(
                f"the feedback database {where} could not be written ({first}): the server's "
                "disk is full or a file-size limit was reached; nothing was stored"
            )
        if state in ("XX001", "XX002"):
            return StorageCorrupt(
                f"the feedback database {where} is damaged ({first}). Restore it from a "
                "backup; see the PostgreSQL documentation on data corruption"
            )
        if state in ("40001", "40P01", "55P03", "57014"):
            return StorageBusy(f"the feedback database {where} was busy ({first}); retry")
        if isinstance(exc, psycopg.OperationalError) or state.startswith(("08", "57")):
            return StorageUnavailable(f"the feedback database {where} cannot be reached: {first}")
        return StorageError(f"the feedback database {where} refused the operation: {first}")

    _schema_table_query = "SELECT COUNT(to_regclass('framing_schema'))"

    @contextmanager
    def _write(self, conn: Any) -> Iterator[Any]:
        with conn.transaction(), conn.cursor() as cur:
            yield cur

    @contextmanager
    def _read(self, conn: Any) -> Iterator[Any]:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    def _lock_schema(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(7274176)")  # one migrator at a time


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_store(url: str | Path, migrate: bool = True, pool_size: int = 4) -> FeedbackStore:
    """The store at `url`: a postgresql:// URL, a sqlite:/// URL or a file path. Checks the
    database (SQLite: its file; both: the schema) and applies missing migrations."""
    text = str(url)
    store: FeedbackStore
    if is_postgres_url(text):
        store = PostgresStore(text, pool_size)
    else:
        path = Path(text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text)
        if path.is_dir():
            raise StorageUnavailable(
                f"{path} is a folder; name the database file ({path / DATABASE_FILE})"
            )
        store = SqliteStore(path, pool_size)
    try:
        if isinstance(store, SqliteStore):
            store.verify_file()
        if migrate:
            store.migrate()
        elif store.schema_version() == 0:
            raise StorageUnavailable(f"{store.where} holds no corrections database")
    except BaseException:
        store.close()
        raise
    return store


def store_location(data_dir: Path, url: str | None) -> str:
    """Where the service keeps corrections: the URL if one is set, else the SQLite file in
    the data folder."""
    return url if url else os.fspath(data_dir / DATABASE_FILE)

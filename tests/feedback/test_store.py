"""The storage interface, run against SQLite and PostgreSQL alike (the `store` fixture)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.feedback import store as store_module
from app.feedback.records import NewCorrection, sentence_key
from app.feedback.store import (
    MIGRATIONS,
    FeedbackStore,
    Migration,
    SchemaError,
    StorageError,
    open_store,
)
from benchmarks.feedback_writer import correction

ROOT = Path(__file__).resolve().parents[2]


def new(
    text: str = "The ministry denied the strike.", annotator: str = "ana", **kw: object
) -> NewCorrection:
    fields: dict[str, object] = {
        "annotator": annotator,
        "text": text,
        "labels": ("official_denial",),
        "language": "en",
        "model_version": "2026.12.07-abc1234",
        "source": "wire",
        "document_id": "d1",
    }
    fields.update(kw)
    return NewCorrection(**fields)  # type: ignore[arg-type]


def test_a_saved_correction_comes_back_whole(store: FeedbackStore) -> None:
    saved = store.save(new(labels=("official_denial", "blame_attribution")))
    assert saved.id > 0 and saved.revision == 1
    assert saved.labels == ("blame_attribution", "official_denial")
    assert saved.sentence_key == sentence_key("The ministry denied the strike.")
    assert saved.created == saved.updated
    assert saved.intact()
    [back] = list(store.corrections())
    assert back == saved
    assert store.count() == 1 and store.check() == []


def test_one_annotator_replaces_two_annotators_are_both_kept(store: FeedbackStore) -> None:
    first = store.save(new())
    again = store.save(new(text="  The ministry  denied the strike. ", labels=()))
    assert again.id == first.id and again.revision == 2
    assert again.labels == () and again.created == first.created
    assert again.updated > first.updated
    other = store.save(new(annotator="boris", labels=("blame_attribution",)))
    assert other.id != first.id
    rows = list(store.corrections())
    assert [(r.annotator, r.labels) for r in rows] == [
        ("ana", ()),
        ("boris", ("blame_attribution",)),
    ]
    assert store.count(annotator="ana") == 1
    assert [r.annotator for r in store.corrections(annotator="boris")] == ["boris"]
    assert store.corrected("ana", [first.sentence_key, sentence_key("other")]) == {
        first.sentence_key
    }


def test_filters_by_language(store: FeedbackStore) -> None:
    store.save(new())
    store.save(new(text="Министерство отвергло обвинения.", language="ru"))
    assert [r.language for r in store.corrections(language="ru")] == ["ru"]


def test_bad_corrections_are_refused_before_storage() -> None:
    with pytest.raises(ValueError):
        new(annotator="no spaces please")
    with pytest.raises(ValueError):
        new(text="   ")
    with pytest.raises(ValueError):
        new(labels=("downplaying", "downplaying"))


def test_the_schema_is_versioned_and_reopening_changes_nothing(store_url: str) -> None:
    first = open_store(store_url)
    saved = first.save(new())
    first.close()
    second = open_store(store_url)
    assert second.schema_version() == MIGRATIONS[-1].version
    assert list(second.corrections()) == [saved]
    second.close()


def test_a_migration_upgrades_a_database_in_place_and_keeps_its_rows(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = open_store(store_url)
    saved = old.save(new())
    old.close()
    extra = Migration(
        MIGRATIONS[-1].version + 1,
        "a test column",
        ("ALTER TABLE corrections ADD COLUMN note TEXT",),
        ("ALTER TABLE corrections ADD COLUMN note TEXT",),
    )
    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, extra])
    upgraded = open_store(store_url)
    assert upgraded.schema_version() == extra.version
    assert list(upgraded.corrections()) == [saved]
    upgraded.close()


def test_a_failing_migration_changes_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = open_store(store_url)
    old.save(new())
    old.close()
    broken = Migration(
        MIGRATIONS[-1].version + 1,
        "adds a column, then fails",
        ("ALTER TABLE corrections ADD COLUMN note TEXT", "SELECT * FROM no_such_table"),
        ("ALTER TABLE corrections ADD COLUMN note TEXT", "SELECT * FROM no_such_table"),
    )
    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(StorageError):
        open_store(store_url)
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    again = open_store(store_url)
    assert again.schema_version() == MIGRATIONS[-1].version
    # The column of the failed migration was rolled back with it: adding it works.
    again.migrate()
    assert again.count() == 1
    again.close()


def test_a_newer_database_is_refused(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = Migration(MIGRATIONS[-1].version + 1, "from the future", ("SELECT 1",), ("SELECT 1",))
    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, newer])
    open_store(store_url).close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with pytest.raises(SchemaError) as info:
        open_store(store_url)
    assert info.value.reason == "schema"


def test_concurrent_threads_lose_nothing(store: FeedbackStore) -> None:
    errors: list[BaseException] = []

    def write(prefix: str) -> None:
        try:
            for i in range(25):
                store.save(correction(prefix, i))
                store.save(new(annotator=prefix, labels=("downplaying",) if i % 2 else ()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = list(store.corrections())
    # 8 x 25 distinct sentences, plus one shared sentence per writer, replaced 25 times.
    assert len(rows) == 8 * 25 + 8
    shared = [r for r in rows if r.text == "The ministry denied the strike."]
    assert sorted(r.revision for r in shared) == [25] * 8
    assert store.check() == []


def test_concurrent_processes_lose_nothing(store_url: str) -> None:
    open_store(store_url).close()  # migrated once, before the writers race
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.feedback_writer", store_url, f"p{n}", "40"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for n in range(3)
    ]
    acknowledged = set()
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        acknowledged |= {int(line.split()[1]) for line in out.splitlines() if line.startswith("ok")}
    store = open_store(store_url)
    rows = list(store.corrections())
    assert {r.id for r in rows} == acknowledged and len(rows) == 120
    assert store.check() == []
    store.close()
